//! The offline commands: `query`, `check`, `test`, `import`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};

use crate::cli::{ImportArgs, OutputFormat, QueryArgs};
use crate::config::Config;

/// `telltale check config FILE`.
///
/// # Errors
///
/// When the file is not valid; the message names file, line and column.
pub fn check_config(file: &Path) -> Result<()> {
    let c = Config::load(file)?;
    println!("Checking {}", file.display());
    println!(
        "  SUCCESS: {} is valid ({} scrape configs, {} rule file patterns)",
        file.display(),
        c.scrape.scrape_configs.len(),
        c.own.rule_files.len()
    );
    Ok(())
}

/// `telltale check rules FILE...`.
///
/// # Errors
///
/// When a file is not valid.
pub fn check_rules(files: &[PathBuf]) -> Result<()> {
    let paths: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let r = telltale_rules::check_rules(&paths);
    print!("{}", r.output);
    if !r.success {
        bail!("some rule files are not valid");
    }
    Ok(())
}

/// `telltale test rules FILE...`.
///
/// # Errors
///
/// When a test fails.
pub fn test_rules(files: &[PathBuf]) -> Result<()> {
    let paths: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let r = telltale_rules::test_rules(&paths);
    print!("{}", r.output);
    if !r.success {
        bail!("{} rule test file(s) failed", r.failed_files);
    }
    Ok(())
}

/// `telltale test promql FILE...`: runs Prometheus's test-script format.
///
/// # Errors
///
/// When any eval fails or a file cannot be read.
pub fn test_promql(files: &[PathBuf]) -> Result<()> {
    let mut out = std::io::stdout();
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    let mut broken = 0;
    for f in files {
        let r = telltale_promql::promqltest::run_file(f, &mut out);
        passed += r.passed;
        failed += r.failed;
        skipped += r.skipped;
        if let Some(e) = &r.error {
            eprintln!("{}: {e}", f.display());
            broken += 1;
        }
    }
    println!("{passed} passed, {failed} failed, {skipped} skipped");
    if failed > 0 || broken > 0 {
        bail!("{failed} eval(s) failed, {broken} file(s) could not be run");
    }
    Ok(())
}

/// `telltale import FILE`.
///
/// # Errors
///
/// As [`crate::import::run`].
pub fn import(args: ImportArgs) -> Result<()> {
    crate::import::run(args)
}

fn parse_time_arg(s: &str, now: i64) -> Result<i64> {
    if let Ok(ms) = telltale_server::api::params::parse_time(s) {
        return Ok(ms);
    }
    // A duration means "that long before now".
    telltale_server::api::params::parse_prom_duration(s)
        .map(|d| now - d)
        .ok_or_else(|| anyhow!("{s:?} is neither a time (Unix seconds or RFC 3339) nor a duration"))
}

/// `telltale query EXPR`: against a data directory, or a running server.
///
/// # Errors
///
/// Bad arguments, a failing query, or a server that cannot be reached.
pub fn query(args: QueryArgs) -> Result<()> {
    use telltale_promql::{CancelToken, Engine, EngineOptions};
    let now = telltale_server::state::now_ms();
    let Some(dir) = &args.data_dir else {
        let server = args
            .server
            .clone()
            .unwrap_or_else(|| format!("http://{}", crate::config::DEFAULT_LISTEN));
        return query_server(&server, &args, now);
    };
    let opts = telltale_tsdb::Options {
        background: false,
        ..Default::default()
    };
    let db =
        telltale_tsdb::Db::open(dir, opts).with_context(|| format!("opening {}", dir.display()))?;
    let engine = Engine::new(EngineOptions::default());
    let token = CancelToken::new();
    let res = if args.start.is_some() || args.end.is_some() || args.step.is_some() {
        let end = match &args.end {
            Some(e) => parse_time_arg(e, now)?,
            None => now,
        };
        let start = match &args.start {
            Some(s) => parse_time_arg(s, end)?,
            None => end - 3_600_000,
        };
        let step = match &args.step {
            Some(s) => telltale_server::api::params::parse_duration(s).map_err(|e| anyhow!(e))?,
            None => 60_000,
        };
        engine.range_query(&db, &args.expr, start, end, step, &token)
    } else {
        let t = match &args.time {
            Some(t) => parse_time_arg(t, now)?,
            None => now,
        };
        engine.instant_query(&db, &args.expr, t, &token)
    }
    .map_err(|e| anyhow!("{e}"))?;
    for w in &res.warnings {
        eprintln!("warning: {w}");
    }
    match args.format {
        OutputFormat::Json => {
            println!("{}", telltale_server::api::json::result_json(&res.value));
        }
        OutputFormat::Table => print_table(&res.value),
    }
    let _ = db.close();
    Ok(())
}

/// Runs the query against a server's HTTP API (Telltale or Prometheus).
fn query_server(server: &str, args: &QueryArgs, now: i64) -> Result<()> {
    let base = server.trim_end_matches('/');
    let mut form: Vec<(String, String)> = vec![("query".into(), args.expr.clone())];
    let range = args.start.is_some() || args.end.is_some() || args.step.is_some();
    let secs = |ms: i64| format!("{:.3}", ms as f64 / 1000.0);
    let path = if range {
        let end = match &args.end {
            Some(e) => parse_time_arg(e, now)?,
            None => now,
        };
        let start = match &args.start {
            Some(s) => parse_time_arg(s, end)?,
            None => end - 3_600_000,
        };
        form.push(("start".into(), secs(start)));
        form.push(("end".into(), secs(end)));
        form.push((
            "step".into(),
            args.step.clone().unwrap_or_else(|| "60".into()),
        ));
        "/api/v1/query_range"
    } else {
        let t = match &args.time {
            Some(t) => parse_time_arg(t, now)?,
            None => now,
        };
        form.push(("time".into(), secs(t)));
        "/api/v1/query"
    };
    let url = format!("{base}{path}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let body: serde_json::Value = rt.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(120))
            .build()?;
        let resp = client
            .post(&url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(
                form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(form.iter())
                    .finish(),
            )
            .send()
            .await
            .with_context(|| format!("querying {url}"))?;
        let status = resp.status();
        let v: serde_json::Value = resp
            .json()
            .await
            .with_context(|| format!("{url} answered {status} without a JSON body"))?;
        anyhow::Ok(v)
    })?;
    if body["status"] != "success" {
        bail!(
            "{}: {}",
            body["errorType"].as_str().unwrap_or("error"),
            body["error"]
                .as_str()
                .unwrap_or("the server gave no reason")
        );
    }
    for w in body["warnings"].as_array().into_iter().flatten() {
        eprintln!("warning: {}", w.as_str().unwrap_or_default());
    }
    if args.format == OutputFormat::Json {
        println!("{}", body["data"]);
        return Ok(());
    }
    let labels = |m: &serde_json::Value| {
        let mut pairs: Vec<telltale_model::Label> = Vec::new();
        if let Some(o) = m.as_object() {
            for (k, v) in o {
                pairs.push(telltale_model::Label::new(
                    k.clone(),
                    v.as_str().unwrap_or_default(),
                ));
            }
        }
        telltale_model::Labels::new(pairs).to_string()
    };
    let data = &body["data"];
    match data["resultType"].as_str() {
        Some("vector") => {
            let rows: Vec<(String, String)> = data["result"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| {
                    (
                        labels(&r["metric"]),
                        r["value"][1].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
            for (l, v) in rows {
                println!("{l:<width$}  {v}");
            }
        }
        Some("matrix") => {
            for r in data["result"].as_array().into_iter().flatten() {
                println!("{}", labels(&r["metric"]));
                for p in r["values"].as_array().into_iter().flatten() {
                    println!("  {}  {}", p[0], p[1].as_str().unwrap_or_default());
                }
            }
        }
        _ => println!("{}", data["result"][1].as_str().unwrap_or_default()),
    }
    Ok(())
}

fn print_table(v: &telltale_promql::Value) {
    use telltale_promql::Value;
    let fmt = |x: f64| {
        let mut s = String::new();
        telltale_server::api::json::fmt_value(x, &mut s);
        s
    };
    match v {
        Value::Scalar { v, .. } => println!("{}", fmt(*v)),
        Value::String { v, .. } => println!("{v}"),
        Value::Vector(samples) => {
            let width = samples
                .iter()
                .map(|s| s.labels.to_string().len())
                .max()
                .unwrap_or(0);
            for s in samples {
                println!("{:<width$}  {}", s.labels.to_string(), fmt(s.v));
            }
        }
        Value::Matrix(series) => {
            for s in series {
                println!("{}", s.labels);
                for p in &s.samples {
                    println!("  {}  {}", p.t as f64 / 1000.0, fmt(p.v));
                }
            }
        }
    }
}
