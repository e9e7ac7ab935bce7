//! Prints one collection in a simple text form (for eyeballing a host):
//! `cargo run -p telltale-collector --example print_metrics -- [FLAGS]`,
//! where FLAGS are node_exporter-style (`--collector.cgroup`, ...).

use telltale_collector::{CollectorConfig, Collectors};

fn main() {
    let flags: Vec<String> = std::env::args().skip(1).collect();
    let mut cfg = CollectorConfig::default();
    if let Err(e) = cfg.apply_flags(&flags) {
        eprintln!("{e}");
        std::process::exit(2);
    }
    let collectors = match Collectors::new(&cfg) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let (fams, errors) = collectors.collect_with_errors();
    for f in &fams {
        println!("# HELP {} {}", f.name, f.metadata.help);
        println!("# TYPE {} {}", f.name, f.metadata.metric_type);
        for s in &f.samples {
            println!("{} {}", s.labels, s.value);
        }
    }
    for (name, e) in errors {
        eprintln!("collector {name} failed: {e}");
    }
}
