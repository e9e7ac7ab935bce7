//! `telltale serve`: wires storage, collectors, PromQL and the HTTP API
//! together and runs until SIGINT or SIGTERM.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use axum::Router;
use telltale_collector::{CollectorConfig, Collectors};
use telltale_model::{Appendable, Queryable};
use telltale_promql::{Engine, EngineOptions};
use telltale_server::AppState;
use telltale_server::auth::{Auth, AuthConfig, require_auth};
use tokio::sync::watch;

use telltale_notify::api::AlertReceiver;
use telltale_notify::{Notifier, NotifierOptions};
use telltale_rules::{AlertSink, AlertmanagerSink, EngineQuery, GroupOptions, RuleManager};
use telltale_scrape::{PushConfig, PushState, RemoteWriteConfig, RemoteWriteState, ScrapeManager};

use crate::alerting;
use crate::cli::ServeArgs;
use crate::config::{Config, DEFAULT_LISTEN, FsyncSetting};
use crate::host;
use crate::storage::{Admin, Storage};

/// Everything `serve` decided from flags and the configuration file.
struct Settings {
    config: Config,
    config_path: Option<PathBuf>,
    data_dir: PathBuf,
    listen: String,
    enable_admin: bool,
}

fn settings(args: &ServeArgs) -> Result<Settings> {
    let config = match &args.config {
        Some(p) => Config::load(p)?,
        None => Config::parse("", "<defaults>")?,
    };
    let data_dir = args
        .data_dir
        .clone()
        .or_else(|| config.own.storage.path.clone())
        .unwrap_or_else(|| PathBuf::from("data"));
    let listen = args
        .listen
        .clone()
        .or_else(|| config.own.web.listen_address.clone())
        .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
    let enable_admin = args.enable_admin_api || config.own.web.enable_admin_api;
    Ok(Settings {
        config,
        config_path: args.config.clone(),
        data_dir,
        listen,
        enable_admin,
    })
}

fn tsdb_options(cfg: &Config) -> Result<telltale_tsdb::Options> {
    let s = &cfg.own.storage;
    let wal_fsync = match s.fsync()? {
        FsyncSetting::Always => telltale_tsdb::FsyncPolicy::Always,
        FsyncSetting::Interval(ms) => {
            telltale_tsdb::FsyncPolicy::Interval(Duration::from_millis(ms))
        }
    };
    Ok(telltale_tsdb::Options {
        retention: (!s.retention_time.0.is_zero()).then_some(s.retention_time.0),
        retention_size: (s.retention_size.0 > 0).then_some(s.retention_size.0),
        out_of_order_window: s.ooo_window().0,
        max_series: s.max_series,
        wal_fsync,
        ..Default::default()
    })
}

fn engine_options(cfg: &Config) -> EngineOptions {
    let w = &cfg.own.web;
    EngineOptions {
        lookback_delta: w.lookback_delta.0,
        max_samples: w.query_max_samples,
        timeout: w.query_timeout.0,
        enable_experimental: w.enable_experimental_functions,
        ..EngineOptions::default()
    }
}

fn collector_config(cfg: &Config) -> Result<CollectorConfig> {
    let c = &cfg.own.collector;
    let mut cc = CollectorConfig::default();
    let mut flags: Vec<String> = Vec::new();
    for e in &c.enable {
        flags.push(format!("--collector.{e}"));
    }
    for d in &c.disable {
        flags.push(format!("--no-collector.{d}"));
    }
    if let Some(dir) = &c.textfile_directory {
        flags.push(format!("--collector.textfile.directory={}", dir.display()));
    }
    cc.apply_flags(&flags)
        .map_err(|e| anyhow!("collector section: {e}"))?;
    Ok(cc)
}

fn flags_map(args: &ServeArgs, s: &Settings) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    m.insert(
        "config.file".into(),
        args.config
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
    );
    m.insert("storage.tsdb.path".into(), s.data_dir.display().to_string());
    m.insert("web.listen-address".into(), s.listen.clone());
    m.insert("web.enable-admin-api".into(), s.enable_admin.to_string());
    m.insert(
        "storage.tsdb.retention.time".into(),
        s.config.own.storage.retention_time.to_string(),
    );
    m
}

/// Runs the server until SIGINT or SIGTERM.
///
/// # Errors
///
/// Bad configuration, a data directory that cannot be opened, or an
/// address that cannot be bound.
pub async fn run(args: ServeArgs) -> Result<()> {
    let s = settings(&args)?;
    let storage = Storage::new();
    let engine = Arc::new(Engine::new(engine_options(&s.config)));
    // Queries read the local storage, merged with remote_read endpoints,
    // or a remote query engine instead (scale-out over an existing
    // distributed engine).
    let remote = &s.config.remote;
    let queryable: Arc<dyn Queryable> = match &remote.remote_query {
        Some(q) => {
            tracing::info!(url = %q.url, "queries, rules and the UI read from a remote query engine");
            Arc::new(
                telltale_remote::PromApiQueryable::new(q.clone())
                    .map_err(|e| anyhow!("remote_query: {e}"))?,
            )
        }
        None if !remote.remote_read.is_empty() => Arc::new(telltale_remote::MergeQueryable::new(
            Arc::new(storage.clone()),
            remote
                .remote_read
                .iter()
                .cloned()
                .map(telltale_remote::RemoteReadQueryable::new)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| anyhow!("remote_read: {e}"))?,
        )),
        None => Arc::new(storage.clone()),
    };
    let writers: Arc<Mutex<Option<telltale_remote::RemoteWriters>>> = Arc::new(Mutex::new(None));
    let appendable: Arc<dyn Appendable> = Arc::new(storage.clone());

    let mut state = AppState::new(queryable.clone(), engine.clone());
    state.enable_admin = s.enable_admin;
    state.ready.store(false, Ordering::Release);
    state.tsdb = Some(Arc::new(Admin {
        storage: storage.clone(),
    }));
    state.flags = Arc::new(flags_map(&args, &s));
    state.storage_retention = s.config.own.storage.retention_time.to_string();
    state.lookback_ms = s.config.own.web.lookback_delta.as_millis() as i64;
    if let Ok(mut y) = state.config_yaml.write() {
        *y = s.config.redacted();
    }

    let last_host: host::LastFamilies = Arc::new(Mutex::new(Vec::new()));

    let (stop_tx, stop_rx) = watch::channel(false);

    // Bind first: the built-in notifier's default receiver is our own
    // `/alert`, at the address we really got.
    let listener = tokio::net::TcpListener::bind(&s.listen)
        .await
        .with_context(|| format!("binding {}", s.listen))?;
    let addr: SocketAddr = listener.local_addr()?;
    let scheme = match &s.config.own.web.tls_server_config {
        Some(_) => "https",
        None => "http",
    };
    let self_url = format!("{scheme}://{addr}");
    let demo = match args.demo {
        true => Some(crate::demo::start_beside(&args).await?),
        false => None,
    };
    let demo_addr = demo.as_ref().map(|d| d.local_addr());

    // Ingestion paths other than the host collectors.
    let scrape = ScrapeManager::new(appendable.clone()).map_err(|e| anyhow!("{e}"))?;
    let push = PushState::new(
        appendable.clone(),
        PushConfig {
            data_dir: Some(s.data_dir.join("push")),
            max_body_bytes: s.config.own.web.max_request_body.0 as usize,
            ..PushConfig::default()
        },
    )
    .map_err(|e| anyhow!("{e}"))?;
    let remote_write = RemoteWriteState::new(
        appendable.clone(),
        RemoteWriteConfig {
            max_body_bytes: s.config.own.web.max_request_body.0 as usize,
            ..RemoteWriteConfig::default()
        },
    );
    state.targets = Some(Arc::new(crate::targets::Targets(scrape.clone())));
    state.self_metrics = Some(self_metrics_fn(
        storage.clone(),
        last_host.clone(),
        scrape.clone(),
        writers.clone(),
    ));

    // Alerting: the notifier, the /alert receiver and the rules.
    let notifier_dir = s.data_dir.join("notifier");
    let notifier_cfg = notifier_config(&s, &args, &self_url)?;
    let notifier = Notifier::with_options(
        notifier_cfg,
        Some(notifier_dir.clone()),
        NotifierOptions {
            external_url: self_url.clone(),
            ..NotifierOptions::default()
        },
    )
    .map_err(|e| anyhow!("starting the notifier: {e}"))?;
    let received = Arc::new(
        AlertReceiver::open(Some(notifier_dir), Default::default())
            .map_err(|e| anyhow!("opening the /alert store: {e}"))?,
    );
    let am_urls = alerting::alertmanager_urls(&s.config.own.alerting);
    let mut sinks: Vec<Arc<dyn AlertSink>> = Vec::new();
    if !s.config.own.alerting.disable_builtin_notifier {
        sinks.push(Arc::new(alerting::NotifierSink(notifier.clone())));
    }
    if !am_urls.is_empty() {
        sinks.push(Arc::new(
            AlertmanagerSink::new(am_urls.clone(), Duration::from_secs(10))
                .map_err(|e| anyhow!("{e}"))?,
        ));
    }
    let mut gopts = GroupOptions::new(
        Arc::new(EngineQuery::new(engine.clone(), queryable.clone())),
        appendable.clone(),
        queryable.clone(),
    );
    gopts.default_interval_ms = s.config.scrape.global.evaluation_interval.as_millis();
    gopts.external_labels = s.config.scrape.global.external_labels.clone();
    gopts.external_url = self_url.clone();
    let rules = Arc::new(RuleManager::new(
        gopts,
        Some(Arc::new(alerting::FanOut(sinks))),
    ));
    state.rules = Some(Arc::new(alerting::RulesApi {
        manager: rules.clone(),
        alertmanagers: am_urls,
    }));

    // Reload: re-read and validate everything first; on any error the
    // running configuration stays as it is.
    {
        let config_path = s.config_path.clone();
        let yaml = state.config_yaml.clone();
        let (scrape, rules, notifier) = (scrape.clone(), rules.clone(), notifier.clone());
        let (args2, self_url2) = (args.clone(), self_url.clone());
        let data_dir = s.data_dir.clone();
        state.reload = Some(Arc::new(move || -> Result<(), String> {
            let Some(p) = &config_path else {
                return Err("no configuration file was given (--config)".into());
            };
            let c = Config::load(p).map_err(|e| format!("{e:#}"))?;
            let new = Settings {
                config: c,
                config_path: Some(p.clone()),
                data_dir: data_dir.clone(),
                listen: String::new(),
                enable_admin: false,
            };
            let specs = load_rule_specs(&new, &args2).map_err(|e| format!("{e:#}"))?;
            let ncfg = notifier_config(&new, &args2, &self_url2).map_err(|e| format!("{e:#}"))?;
            let jobs = crate::demo::with_demo_job(
                &new.config.scrape.scrape_configs,
                &new.config.scrape.global,
                demo_addr,
            )
            .map_err(|e| format!("{e:#}"))?;
            scrape.apply_config(&jobs).map_err(|e| e.to_string())?;
            rules.update(specs, true);
            notifier.reload(ncfg).map_err(|e| e.to_string())?;
            if let Ok(mut y) = yaml.write() {
                *y = new.config.redacted();
            }
            tracing::info!(file = %p.display(), "configuration reloaded");
            Ok(())
        }));
    }

    // HTTP before the replay, so health checks answer during it.
    let app = build_router(state.clone(), &s)?
        .merge(telltale_scrape::push_router(push.clone()))
        .merge(telltale_scrape::remote_write_router(remote_write))
        .merge(telltale_remote::remote_read_router(
            Arc::new(storage.clone()),
            Default::default(),
        ))
        .merge(telltale_remote::otlp_router(appendable.clone()))
        .nest("/api/v2", telltale_notify::api_router(notifier.clone()))
        .merge(telltale_notify::alert_receiver_router(received))
        .merge(telltale_ui::ui_router(
            s.config
                .own
                .web
                .dashboards_dir
                .as_ref()
                .map(|d| s.config.base_dir().join(d)),
        ));
    let app = wrap(app, &s)?;
    let server_stop = stop_rx.clone();
    let server = match &s.config.own.web.tls_server_config {
        Some(t) => {
            let base = s.config.base_dir();
            let tls = telltale_server::tls::load_config(
                &base.join(&t.cert_file),
                &base.join(&t.key_file),
            )?;
            tokio::spawn(async move {
                telltale_server::tls::serve(listener, app, tls, server_stop).await;
                Ok(())
            })
        }
        None => tokio::spawn(async move {
            let mut rx = server_stop;
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                let _ = rx.wait_for(|v| *v).await;
            })
            .await
        }),
    };

    // Storage: open (replaying the WAL) off the async threads.
    let dir = s.data_dir.clone();
    let opts = tsdb_options(&s.config)?;
    tracing::info!(dir = %dir.display(), "opening storage");
    let started = std::time::Instant::now();
    let db = tokio::task::spawn_blocking(move || telltale_tsdb::Db::open(&dir, opts))
        .await?
        .with_context(|| format!("opening storage in {}", s.data_dir.display()))?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "storage ready"
    );
    storage.set(db);
    state.ready.store(true, Ordering::Release);

    let jobs = crate::demo::with_demo_job(
        &s.config.scrape.scrape_configs,
        &s.config.scrape.global,
        demo_addr,
    )?;
    scrape.apply_config(&jobs).map_err(|e| anyhow!("{e}"))?;
    if !jobs.is_empty() {
        tracing::info!(jobs = ?scrape.jobs(), "scraping");
    }
    let push_task = push.start().map_err(|e| anyhow!("{e}"))?;
    if !s.config.remote.remote_write.is_empty() {
        let mut o = telltale_remote::SenderOptions::for_data_dir(&s.data_dir);
        o.external_labels = s
            .config
            .scrape
            .global
            .external_labels
            .iter()
            .map(|(k, v)| telltale_model::Label::new(k, v))
            .collect();
        let w = telltale_remote::RemoteWriters::start(&s.config.remote.remote_write, &o)
            .map_err(|e| anyhow!("remote_write: {e}"))?;
        tracing::info!(
            destinations = s.config.remote.remote_write.len(),
            "remote write out"
        );
        if let Ok(mut g) = writers.lock() {
            *g = Some(w);
        }
    }
    let rule_specs = load_rule_specs(&s, &args)?;
    let n_groups = rule_specs.len();
    rules.update(rule_specs, true);
    tracing::info!(groups = n_groups, "evaluating rules");

    // Host collection.
    let mut tasks = Vec::new();
    if s.config.own.collector.enabled && !args.no_host_metrics {
        let cc = collector_config(&s.config)?;
        let collectors = Arc::new(Collectors::new(&cc).map_err(|e| anyhow!("{e}"))?);
        let interval = match &args.collect_interval {
            Some(i) => telltale_scrape::duration::parse_duration(i)
                .map_err(|e| anyhow!("--collect-interval: {e}"))?,
            None => s.config.own.collector.interval.0,
        };
        let instance = s
            .config
            .own
            .collector
            .instance
            .clone()
            .unwrap_or_else(telltale_collector::hostname);
        tracing::info!(interval = ?interval, instance = %instance, collectors = collectors.enabled().len(), "collecting host metrics");
        tasks.push(tokio::spawn(host::run(
            collectors,
            appendable.clone(),
            interval,
            s.config.own.collector.job.clone(),
            instance,
            last_host.clone(),
            stop_rx.clone(),
        )));
    }

    tracing::info!("Telltale is ready: open {scheme}://{addr}/ in your browser");

    wait_for_signal(state.clone()).await;
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    rules.stop();
    scrape.stop();
    push_task.abort();
    if let Err(e) = push.flush() {
        tracing::warn!(error = %e, "saving push groups failed");
    }
    notifier.stop();
    let w = writers.lock().ok().and_then(|mut g| g.take());
    if let Some(w) = w {
        w.stop().await;
    }
    if let Some(d) = demo {
        let _ = d.shutdown().await;
    }
    for t in tasks {
        let _ = t.await;
    }
    let _ = server.await;
    if let Some(db) = storage.get().cloned() {
        tokio::task::spawn_blocking(move || db.close())
            .await?
            .context("closing storage")?;
    }
    tracing::info!("stopped");
    Ok(())
}

fn build_router(state: AppState, _s: &Settings) -> Result<Router> {
    Ok(telltale_server::router(state))
}

/// The layers around every route: body limit, compression, CORS, auth.
fn wrap(app: Router, s: &Settings) -> Result<Router> {
    use tower_http::compression::CompressionLayer;
    use tower_http::limit::RequestBodyLimitLayer;
    let web = &s.config.own.web;
    let mut app = app
        .layer(RequestBodyLimitLayer::new(web.max_request_body.0 as usize))
        .layer(CompressionLayer::new());
    if !web.cors_origin.is_empty() {
        let re = regex::Regex::new(&format!("^(?:{})$", web.cors_origin))
            .map_err(|e| anyhow!("web.cors_origin: {e}"))?;
        let cors = tower_http::cors::CorsLayer::new()
            .allow_origin(tower_http::cors::AllowOrigin::predicate(move |o, _| {
                o.to_str().map(|o| re.is_match(o)).unwrap_or(false)
            }))
            .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
            .allow_headers(tower_http::cors::Any);
        app = app.layer(cors);
    }
    let auth = AuthConfig {
        basic_auth_users: web.basic_auth_users.clone(),
        bearer_tokens: web.bearer_tokens.clone(),
    };
    if auth.enabled() {
        app = app.layer(axum::middleware::from_fn_with_state(
            Auth::new(auth),
            require_auth,
        ));
    }
    Ok(app)
}

/// The built-in notifier's configuration: `--alertmanager-config`, else
/// `alerting.notifier_config_file`, else everything to our own `/alert`.
fn notifier_config(
    s: &Settings,
    args: &ServeArgs,
    self_url: &str,
) -> Result<telltale_notify::Config> {
    let file = args.alertmanager_config.clone().or_else(|| {
        s.config
            .own
            .alerting
            .notifier_config_file
            .as_ref()
            .map(|p| s.config.base_dir().join(p))
    });
    match file {
        Some(f) => {
            telltale_notify::Config::load_file(&f).map_err(|e| anyhow!("{}: {e}", f.display()))
        }
        None => telltale_notify::Config::load(&alerting::default_notifier_config(self_url))
            .map_err(|e| anyhow!("built-in notifier configuration: {e}")),
    }
}

/// The default rules (unless turned off) and the configured rule files.
fn load_rule_specs(s: &Settings, args: &ServeArgs) -> Result<Vec<telltale_rules::GroupSpec>> {
    let fmt = |errs: Vec<telltale_rules::RulesError>| {
        anyhow!(
            "{}",
            errs.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        )
    };
    let mut specs = Vec::new();
    if !args.no_default_rules {
        specs.extend(telltale_rules::default_groups().map_err(fmt)?);
    }
    if args.demo {
        specs.extend(crate::demo::rule_groups()?);
    }
    let files = alerting::rule_files(None, &s.config.own.rule_files, &s.config.base_dir())?;
    specs.extend(telltale_rules::file::load_files(&files).map_err(fmt)?);
    Ok(specs)
}

/// Waits for SIGINT or SIGTERM; SIGHUP reloads the configuration.
async fn wait_for_signal(state: AppState) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return,
            _ = term.recv() => return,
            _ = hup.recv() => {
                if let Some(f) = state.reload.clone() {
                    match tokio::task::spawn_blocking(move || f()).await {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => tracing::error!(error = %e, "reload failed; keeping the running configuration"),
                        Err(e) => tracing::error!(error = %e, "reload task failed"),
                    }
                }
            }
        }
    }
}

fn self_metrics_fn(
    storage: Storage,
    last: host::LastFamilies,
    scrape: ScrapeManager,
    writers: Arc<Mutex<Option<telltale_remote::RemoteWriters>>>,
) -> telltale_server::state::MetricsFn {
    Arc::new(move || {
        let mut families = crate::selfmetrics::tsdb_families(&storage);
        families.extend(scrape.self_metrics());
        if let Ok(w) = writers.lock() {
            if let Some(w) = w.as_ref() {
                families.extend(w.families());
            }
        }
        if let Ok(l) = last.lock() {
            families.extend(l.iter().cloned());
        }
        let mut out = Vec::new();
        telltale_exposition::encode_text(&families, &mut out);
        String::from_utf8(out).unwrap_or_default()
    })
}
