//! `argus serve`: wires storage, the self-scrape, and the HTTP server, and
//! runs them until SIGTERM/SIGINT. Start order: HTTP (so `/-/healthy`
//! answers during WAL replay), storage, ingestion; stop order is the reverse:
//! ingestion, HTTP, storage (flush and close the WAL).

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use anyhow::Context;
use argus_model::exposition::Format;
use argus_tsdb::{Db, DbOptions};
use tokio::sync::{mpsc, watch};

use crate::cli::ServeArgs;
use crate::{alerting, api, config, logging, selfmetrics};

pub(crate) fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    logging::init(&args.log);
    tune_malloc();
    let rt =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    rt.block_on(serve(args))?;
    Ok(ExitCode::SUCCESS)
}

/// Caps glibc's malloc arenas at 2 unless `MALLOC_ARENA_MAX` is set. glibc
/// gives every thread that contends for the heap its own arena (up to 8 per
/// core), and each keeps freed memory of its own: the scrape loops run on
/// tokio's blocking pool, so ingest spread its series and scrape bodies over
/// many arenas. Measured on the scrape benchmark (50 targets x 2,000 series):
/// see BENCHMARKS.md, "Scrape ingest (issue 4)". A no-op on other C libraries.
fn tune_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets a tunable of the allocator; called
        // before the runtime starts its threads.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    // Signal handlers first: a SIGTERM or SIGINT that arrives while argus is
    // still starting (`/-/ready` already answers before the main loop runs)
    // must shut down cleanly instead of killing the process; a SIGHUP waits
    // for the main loop and then reloads.
    use tokio::signal::unix::{SignalKind, signal};
    let mut sigterm = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
    let mut sigint = signal(SignalKind::interrupt()).context("cannot watch SIGINT")?;
    let mut sighup = signal(SignalKind::hangup()).context("cannot watch SIGHUP")?;
    let cfg = config::load(args.config_file.as_deref(), args.expand_env)?;
    // A file-size limit (`ulimit -f`) must make writes fail with EFBIG, which
    // storage reports and survives, instead of SIGXFSZ killing the process.
    // 25 is SIGXFSZ on every Linux architecture argus builds for.
    let _xfsz =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::from_raw(25)).context("cannot handle SIGXFSZ")?;
    let db_opts = db_options(&args)?;
    tracing::info!(version = crate::cli::VERSION, revision = env!("ARGUS_GIT_REVISION"), "starting argus");

    let db_cell: selfmetrics::StatsSource = Arc::new(OnceLock::new());
    let ready = Arc::new(AtomicBool::new(false));
    let (reload_tx, mut reload_rx) = mpsc::channel::<argus_web::ReloadRequest>(4);
    let (stop_tx, stop_rx) = watch::channel(false);

    let config_yaml = Arc::new(RwLock::new(cfg.text.clone()));
    let external_labels = Arc::new(RwLock::new(cfg.full.global.external_labels.clone()));
    let reload_ok = Arc::new(AtomicBool::new(true));
    let engine = argus_promql::Engine::new(argus_promql::EngineOpts {
        lookback_delta: Duration::from_millis(
            config::parse_duration(&args.query_lookback).context("invalid --query.lookback-delta")? as u64,
        ),
        max_samples: args.query_max_samples,
        timeout: Duration::from_millis(
            config::parse_duration(&args.query_timeout).context("invalid --query.timeout")? as u64
        ),
        default_evaluation_interval: Duration::from_secs(60),
    });
    let node = Arc::new(
        argus_node::NodeCollector::new(argus_node::NodeOptions {
            textfile_dir: args.textfile_directory.clone(),
            ..Default::default()
        })
        .context("cannot set up the host collectors")?,
    );
    let node_render = node.clone();
    let push_store = Arc::new(argus_push::PushStore::new(argus_push::StoreOptions {
        max_body_bytes: Some(PUSH_MAX_BODY),
        max_groups: Some(100_000),
        ..Default::default()
    }));
    let push_file = args.push_persistence_file.clone().unwrap_or_else(|| args.tsdb_path.join("pushgateway.state"));
    if push_file.exists() {
        match push_store.load(&push_file) {
            Ok(()) => tracing::info!(file = %push_file.display(), "restored pushed groups"),
            Err(e) => tracing::error!(err = %e, "cannot restore pushed groups; starting empty"),
        }
    }
    let reload_status = selfmetrics::ReloadStatus::new(reload_ok.clone());
    // What the internal-target resolver needs: our port (known once bound),
    // the job to treat as "argus itself" when no target names our port, and
    // our own /metrics (known once the registry exists).
    let listen_port = Arc::new(OnceLock::<u16>::new());
    let self_fallback = Arc::new(RwLock::new(self_fallback_job(&cfg)));
    let self_source: Arc<OnceLock<argus_scrape::Source>> = Arc::new(OnceLock::new());
    let remote_write_stats = Arc::new(argus_web::RemoteWriteStats::default());
    let scrape_manager = Arc::new(argus_scrape::ScrapeManager::new(
        Arc::new(api::LateStorage(db_cell.clone())),
        argus_scrape::ManagerOpts {
            internal: Some(internal_resolver(
                listen_port.clone(),
                self_fallback.clone(),
                self_source.clone(),
                node.clone(),
                push_store.clone(),
            )),
            ..Default::default()
        },
    ));
    // The built-in alert manager (alertmanager.yml, or a `log` receiver).
    let am_config = load_am_config(args.alertmanager_config_file.as_deref(), args.expand_env)?;
    let external_url = args.external_url.clone().unwrap_or_else(|| default_external_url(&args.listen_address));
    let alertmanager = argus_alertmanager::Alertmanager::new(
        am_config.0,
        &args.tsdb_path.join("alertmanager"),
        argus_alertmanager::Options {
            external_url: external_url.clone(),
            version: crate::cli::VERSION.into(),
            ..Default::default()
        },
    )
    .context("cannot start the alert manager")?;
    alertmanager.set_config_original(am_config.1);

    // Rules: evaluated against storage, alerts to the built-in alert manager
    // and to the config's external Alertmanagers.
    let late = Arc::new(api::LateStorage(db_cell.clone()));
    // Queries (API and rules) read local storage merged with remote_read
    // endpoints, as Prometheus' fanout storage.
    let query_storage = Arc::new(api::QueryStorage::new(late.clone()));
    query_storage.set_remotes(remote_readers(&cfg.full, &db_cell).await);
    // Remote write out: one queue and WAL watcher per remote_write entry.
    let remote_write_out = Arc::new(argus_remote::WriteManager::new(
        args.tsdb_path.join("wal"),
        argus_remote::WriteOptions { metadata: Some(metadata_source(scrape_manager.clone())), ..Default::default() },
    ));
    let alert_relabel: Arc<RwLock<Vec<argus_scrape::RelabelConfig>>> =
        Arc::new(RwLock::new(cfg.full.alerting.alert_relabel_configs.clone()));
    let external_ams = alerting::ExternalAlertmanagers::new(stop_rx.clone());
    let sinks = Arc::new(alerting::AlertFanout { builtin: alertmanager.clone(), external: external_ams.clone() });
    let relabel = {
        let r = alert_relabel.clone();
        let f: Arc<dyn Fn(argus_model::Labels) -> Option<argus_model::Labels> + Send + Sync> =
            Arc::new(move |ls: argus_model::Labels| match r.read() {
                Ok(cfgs) if !cfgs.is_empty() => argus_scrape::relabel::process(&ls, &cfgs),
                _ => Some(ls),
            });
        f
    };
    let mut rule_opts = argus_rules::ManagerOptions::new(
        argus_rules::engine_query_fn(engine.clone(), query_storage.clone()),
        late.clone(),
        late.clone(),
    );
    rule_opts.notify =
        Some(argus_rules::notify_fn(sinks.clone(), external_url.clone(), external_labels.clone(), Some(relabel)));
    rule_opts.resend_delay = duration_flag(&args.resend_delay, "--rules.alert.resend-delay")?;
    rule_opts.outage_tolerance = duration_flag(&args.for_outage_tolerance, "--rules.alert.for-outage-tolerance")?;
    rule_opts.for_grace_period = duration_flag(&args.for_grace_period, "--rules.alert.for-grace-period")?;
    let rules = Arc::new(argus_rules::Manager::new(rule_opts));

    let mut registry = selfmetrics::registry(
        db_cell.clone(),
        node.clone(),
        push_store.clone(),
        reload_status.clone(),
        remote_write_stats.clone(),
    );
    scrape_manager.register_metrics(&mut registry);
    alertmanager.register_metrics(&mut registry);
    rules.register_metrics(&mut registry);
    external_ams.metrics().register(&mut registry);
    remote_write_out.register_metrics(&mut registry);
    let registry = Arc::new(registry);
    {
        let reg = registry.clone();
        let _ = self_source.set(Arc::new(move || (selfmetrics::render(&reg).into_bytes(), Format::OpenMetrics)));
    }
    let push_interval = Duration::from_millis(
        config::parse_duration(&args.push_persistence_interval).context("invalid --push.persistence.interval")? as u64,
    );
    let push_ttl = config::parse_duration(&args.push_group_ttl).context("invalid --push.group-ttl")?;
    let api_state = api::state(api::Inputs {
        db: db_cell.clone(),
        storage: query_storage.clone(),
        engine: engine.clone(),
        flags: args.as_map(),
        config_yaml: config_yaml.clone(),
        reload_ok: reload_ok.clone(),
        retention: args.retention_time.clone(),
        enable_admin_api: args.enable_admin_api,
        external_labels: external_labels.clone(),
        scrape: Some(scrape_manager.clone()),
        rules: Some(rules.clone()),
    });
    let reg = registry.clone();
    let remote_write = args.enable_remote_write_receiver.then(|| argus_web::RemoteWriteState {
        appendable: Arc::new(api::LateStorage(db_cell.clone())),
        stats: remote_write_stats.clone(),
    });
    let state = argus_web::WebState {
        remote_write,
        ready: ready.clone(),
        reload: Some(reload_tx),
        metrics: Arc::new(move || (selfmetrics::render(&reg), selfmetrics::CONTENT_TYPE)),
        api: std::sync::Arc::new(api_state),
        node_metrics: Some(Arc::new(move || node_render.render_text())),
        push: Some(argus_web::PushState {
            store: push_store.clone(),
            admin: args.enable_admin_api,
            max_body_bytes: PUSH_MAX_BODY,
            start_time: logging::now_rfc3339(),
        }),
    };
    let am_router = argus_web::alertmanager::alertmanager_router(alertmanager.clone());
    // Optional listener for drop-in use as an Alertmanager (e.g. :9093).
    let am_http = match &args.alertmanager_listen_address {
        Some(addr) => {
            let l = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
            tracing::info!(address = %addr, "alert manager API listening");
            let mut stop = stop_rx.clone();
            Some(tokio::spawn(argus_web::serve(l, am_router.clone(), async move {
                let _ = stop.wait_for(|s| *s).await.map(|_| ());
            })))
        }
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(&args.listen_address)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen_address))?;
    let local = listener.local_addr().context("cannot read the listen address")?;
    let _ = listen_port.set(local.port());
    tracing::info!(address = %local, "listening");
    let mut http_stop = stop_rx.clone();
    // Optional second listener for drop-in use where clients expect a
    // Pushgateway's port (e.g. :9091); it serves the same routes.
    let push_http = match &args.push_listen_address {
        Some(addr) => {
            let l = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
            tracing::info!(address = %addr, "push gateway listening");
            let mut stop = stop_rx.clone();
            Some(tokio::spawn(argus_web::serve(
                l,
                argus_web::router(state.clone()).merge(am_router.clone()),
                async move {
                    let _ = stop.wait_for(|s| *s).await.map(|_| ());
                },
            )))
        }
        None => None,
    };
    let http =
        tokio::spawn(argus_web::serve(listener, argus_web::router(state).merge(am_router.clone()), async move {
            let _ = http_stop.wait_for(|s| *s).await.map(|_| ());
        }));

    let path = args.tsdb_path.clone();
    let db = tokio::task::spawn_blocking(move || Db::open(&path, db_opts))
        .await
        .context("storage start-up panicked")?
        .with_context(|| format!("cannot open storage at {}", args.tsdb_path.display()))?;
    let _ = db_cell.set(db.clone());
    ready.store(true, Ordering::Release);
    tracing::info!("server is ready to receive web requests");

    // Ingestion: every scrape job of the config. Targets aimed at argus
    // itself, its host metrics or its push gateway are sampled in process.
    if let Err(errs) = scrape_manager.apply_config(&cfg.full).await {
        for e in errs {
            tracing::error!(err = %e, "scrape pool not started");
        }
    }

    if let Err(errs) = remote_write_out.apply_config(&cfg.full).await {
        for e in errs {
            tracing::error!(err = %e, "remote write queue not started");
        }
    }

    external_ams.apply(&cfg.full);
    {
        let (r, c, url) = (rules.clone(), cfg.full.clone(), external_url.clone());
        let loaded = tokio::task::spawn_blocking(move || {
            r.update(c.global.evaluation_interval, &c.rule_files, c.global.external_labels.clone(), &url)
        })
        .await
        .context("rule loading panicked")?;
        if let Err(e) = loaded {
            anyhow::bail!("cannot load rule files: {e}");
        }
    }
    let rules_task = tokio::spawn(rules.clone().run(stop_rx.clone()));

    // Housekeeping: compaction and retention once a minute, WAL fsync timer,
    // push-store persistence and time to live.
    let house_db = db.clone();
    let mut house_stop = stop_rx.clone();
    let (house_push, house_file) = (push_store.clone(), push_file.clone());
    let house = tokio::spawn(async move {
        let mut compact = tokio::time::interval(Duration::from_secs(60));
        let mut sync = tokio::time::interval(Duration::from_millis(250));
        let mut push_tick = tokio::time::interval(Duration::from_secs(1));
        let persist = argus_push::PersistOptions { interval: push_interval };
        let (mut saved_gen, mut last_save) = (house_push.generation(), std::time::Instant::now());
        loop {
            tokio::select! {
                _ = push_tick.tick() => {
                    if push_ttl > 0 {
                        let ttl = Duration::from_millis(push_ttl as u64);
                        for key in house_push.expire_older_than(std::time::SystemTime::now(), ttl) {
                            tracing::info!(group = ?key, "dropped pushed group past --push.group-ttl");
                        }
                    }
                    if persist.save_due(&house_push, saved_gen, last_save, std::time::Instant::now()) {
                        let (p, f) = (house_push.clone(), house_file.clone());
                        match tokio::task::spawn_blocking(move || p.save(&f)).await {
                            Ok(Ok(g)) => saved_gen = g,
                            Ok(Err(e)) => tracing::error!(err = %e, "cannot save pushed groups"),
                            Err(_) => {}
                        }
                        last_save = std::time::Instant::now();
                    }
                }
                _ = compact.tick() => {
                    let d = house_db.clone();
                    if let Ok(Err(e)) = tokio::task::spawn_blocking(move || d.compact()).await {
                        tracing::error!(err = %e, "compaction failed");
                    }
                }
                _ = sync.tick() => {
                    let d = house_db.clone();
                    let _ = tokio::task::spawn_blocking(move || d.sync_wal_if_due()).await;
                }
                _ = async { let _ = house_stop.wait_for(|s| *s).await; } => break,
            }
        }
    });

    let reloader = Reloader {
        path: args.config_file.clone(),
        expand_env: args.expand_env,
        yaml: config_yaml.clone(),
        status: reload_status.clone(),
        external_labels: external_labels.clone(),
        self_fallback: self_fallback.clone(),
        scrape: scrape_manager.clone(),
        rules: rules.clone(),
        external_url: external_url.clone(),
        alert_relabel: alert_relabel.clone(),
        external_ams: external_ams.clone(),
        am: alertmanager.clone(),
        am_path: args.alertmanager_config_file.clone(),
        remote_write: remote_write_out.clone(),
        query_storage: query_storage.clone(),
        db: db_cell.clone(),
    };
    loop {
        tokio::select! {
            _ = sigint.recv() => { tracing::info!("received SIGINT, exiting gracefully"); break; }
            _ = sigterm.recv() => { tracing::info!("received SIGTERM, exiting gracefully"); break; }
            _ = sighup.recv() => { let _ = reloader.reload().await; }
            Some(reply) = reload_rx.recv() => { let _ = reply.send(reloader.reload().await); }
        }
    }

    let _ = stop_tx.send(true);
    scrape_manager.stop().await;
    tracing::info!("scrape manager stopped");
    let _ = rules_task.await;
    tracing::info!("rule manager stopped");
    // After ingestion stops, so the last scrapes still go out (within the flush deadline).
    remote_write_out.stop().await;
    tracing::info!("remote write stopped");
    alertmanager.stop();
    if let Some(h) = am_http {
        let _ = h.await;
    }
    tracing::info!("alert manager stopped");
    let _ = house.await;
    if let Some(h) = push_http {
        let _ = h.await;
    }
    match http.await {
        Ok(Err(e)) => tracing::error!(err = %e, "web server stopped with an error"),
        _ => tracing::info!("web server stopped"),
    }
    match push_store.save(&push_file) {
        Ok(_) => tracing::info!(file = %push_file.display(), "saved pushed groups"),
        Err(e) => tracing::error!(err = %e, "cannot save pushed groups"),
    }
    tokio::task::spawn_blocking(move || db.close()).await.context("storage shutdown panicked")??;
    tracing::info!("storage closed; see you next time");
    Ok(())
}

/// Re-reads the configuration and applies it to every subsystem. A bad file
/// is rejected with its reason and the running configuration stays in force.
struct Reloader {
    path: Option<std::path::PathBuf>,
    expand_env: bool,
    yaml: Arc<RwLock<String>>,
    status: Arc<selfmetrics::ReloadStatus>,
    external_labels: Arc<RwLock<argus_model::Labels>>,
    self_fallback: Arc<RwLock<Option<String>>>,
    scrape: Arc<argus_scrape::ScrapeManager>,
    rules: Arc<argus_rules::Manager>,
    external_url: String,
    alert_relabel: Arc<RwLock<Vec<argus_scrape::RelabelConfig>>>,
    external_ams: Arc<alerting::ExternalAlertmanagers>,
    am: Arc<argus_alertmanager::Alertmanager>,
    am_path: Option<std::path::PathBuf>,
    remote_write: Arc<argus_remote::WriteManager>,
    query_storage: Arc<api::QueryStorage>,
    db: selfmetrics::StatsSource,
}

impl Reloader {
    async fn reload(&self) -> Result<(), String> {
        let (path, expand) = (self.path.clone(), self.expand_env);
        let loaded = tokio::task::spawn_blocking(move || config::load(path.as_deref(), expand))
            .await
            .map_err(|e| format!("config loading panicked: {e}"))
            .and_then(|r| r.map_err(|e| format!("{e:#}")));
        let cfg = match loaded {
            Ok(cfg) => cfg,
            Err(e) => {
                self.status.record(false);
                tracing::error!(err = %e, "error reloading config; keeping the running one");
                return Err(e);
            }
        };
        // Rules and alertmanager.yml are checked before anything is applied,
        // so a bad file changes nothing.
        let (r, c, url) = (self.rules.clone(), cfg.full.clone(), self.external_url.clone());
        let am_path = self.am_path.clone();
        let expand = self.expand_env;
        let checked = tokio::task::spawn_blocking(move || {
            r.load_groups(c.global.evaluation_interval, &c.rule_files, c.global.external_labels.clone(), &url)
                .map_err(|e| format!("cannot load rule files: {e}"))?;
            match am_path {
                Some(p) => load_am_config(Some(&p), expand).map(Some).map_err(|e| format!("{e:#}")),
                None => Ok(None),
            }
        })
        .await
        .map_err(|e| format!("config loading panicked: {e}"))
        .and_then(|r| r);
        let am_cfg = match checked {
            Ok(a) => a,
            Err(e) => {
                self.status.record(false);
                tracing::error!(err = %e, "error reloading config; keeping the running one");
                return Err(e);
            }
        };
        if let Some((am_cfg, text)) = am_cfg {
            if let Err(e) = self.am.apply_config(&am_cfg) {
                self.status.record(false);
                tracing::error!(err = %e, "error applying alertmanager.yml; keeping the running one");
                return Err(e.to_string());
            }
            self.am.set_config_original(text);
        }
        let (r, c, url) = (self.rules.clone(), cfg.full.clone(), self.external_url.clone());
        let _ = tokio::task::spawn_blocking(move || {
            r.update(c.global.evaluation_interval, &c.rule_files, c.global.external_labels.clone(), &url)
        })
        .await;
        if let Ok(mut a) = self.alert_relabel.write() {
            *a = cfg.full.alerting.alert_relabel_configs.clone();
        }
        self.external_ams.apply(&cfg.full);
        if let Ok(mut y) = self.yaml.write() {
            *y = cfg.text.clone();
        }
        if let Ok(mut l) = self.external_labels.write() {
            *l = cfg.full.global.external_labels.clone();
        }
        if let Ok(mut f) = self.self_fallback.write() {
            *f = self_fallback_job(&cfg);
        }
        if let Err(errs) = self.scrape.apply_config(&cfg.full).await {
            let msg = errs.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
            self.status.record(false);
            tracing::error!(err = %msg, "error applying the reloaded config");
            return Err(msg);
        }
        if let Err(errs) = self.remote_write.apply_config(&cfg.full).await {
            let msg = errs.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
            self.status.record(false);
            tracing::error!(err = %msg, "error applying the reloaded remote_write config");
            return Err(msg);
        }
        self.query_storage.set_remotes(remote_readers(&cfg.full, &self.db).await);
        self.status.record(true);
        tracing::info!("completed loading of configuration file");
        Ok(())
    }
}

/// The job sampled in process as "argus itself" when none of its targets
/// names our port: the only job scraping `/metrics` on a local address (a
/// config may say localhost:9090 while argus listens elsewhere).
fn self_fallback_job(cfg: &config::Config) -> Option<String> {
    let mut jobs: Vec<&String> = cfg.self_jobs.iter().map(|(j, _)| j).collect();
    jobs.dedup();
    (jobs.len() == 1).then(|| jobs[0].clone())
}

fn is_local_host(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "0.0.0.0" | "[::1]" | "::1" | "")
}

/// Decides which targets argus samples in process instead of over HTTP:
/// its own `/metrics` (on our port, or the fallback self job), the host
/// metrics at `/node/metrics` and the push gateway at `/pushgateway/metrics`
/// on a local address.
fn internal_resolver(
    port: Arc<OnceLock<u16>>,
    self_fallback: Arc<RwLock<Option<String>>>,
    self_source: Arc<OnceLock<argus_scrape::Source>>,
    node: Arc<argus_node::NodeCollector>,
    push: Arc<argus_push::PushStore>,
) -> argus_scrape::InternalResolver {
    Arc::new(move |t: &argus_scrape::Target| {
        let url = t.url();
        let rest = url.strip_prefix("http://")?;
        let (hostport, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let path = path.split('?').next().unwrap_or("");
        let (host, tport) = hostport.rsplit_once(':').unwrap_or((hostport, "80"));
        if !is_local_host(host) {
            return None;
        }
        let ours = port.get().is_some_and(|p| tport.parse::<u16>().ok() == Some(*p));
        match path {
            config::NODE_METRICS_PATH => {
                let node = node.clone();
                Some(Arc::new(move || (node.render_text().into_bytes(), Format::PromText)) as argus_scrape::Source)
            }
            config::PUSH_METRICS_PATH => {
                let push = push.clone();
                Some(Arc::new(move || (push.render_text().into_bytes(), Format::PromText)) as argus_scrape::Source)
            }
            "/metrics" => {
                let job = t.labels().get("job").map(str::to_string);
                let fallback = self_fallback.read().ok().and_then(|f| f.clone());
                (ours || (job.is_some() && job == fallback)).then(|| self_source.get().cloned()).flatten()
            }
            _ => None,
        }
    })
}

/// One remote-read `Queryable` per `remote_read` entry; an entry whose
/// client cannot be built is logged and left out.
async fn remote_readers(
    cfg: &argus_scrape::Config,
    db: &selfmetrics::StatsSource,
) -> Vec<Arc<dyn argus_model::storage::Queryable>> {
    let mut out: Vec<Arc<dyn argus_model::storage::Queryable>> = Vec::new();
    for rr in &cfg.remote_read {
        let db = db.clone();
        // Prometheus' start-time callback: the oldest local sample (head or blocks).
        let start: argus_remote::StartTimeFn = Arc::new(move || match db.get() {
            Some(d) => d.blocks().iter().map(|b| b.min_time).min().unwrap_or(i64::MAX).min(d.head().min_time()),
            None => i64::MAX,
        });
        let (rr, ext, rt) = (rr.clone(), cfg.global.external_labels.clone(), tokio::runtime::Handle::current());
        let url = rr.url.clone();
        match tokio::task::spawn_blocking(move || argus_remote::RemoteRead::new(&rr, &ext, Some(start), rt)).await {
            Ok(Ok(r)) => {
                tracing::info!(url = %url, "reading from remote storage");
                out.push(Arc::new(r));
            }
            Ok(Err(e)) => tracing::error!(err = %e, "remote_read entry not used"),
            Err(e) => tracing::error!(err = %e, "remote_read set-up panicked"),
        }
    }
    out
}

/// The metadata remote write sends: the scraped targets' metadata, one
/// entry per metric family (the first target's wins, as in Prometheus).
fn metadata_source(scrape: Arc<argus_scrape::ScrapeManager>) -> argus_remote::MetadataFn {
    Arc::new(move || {
        let mut seen = std::collections::BTreeMap::new();
        for m in scrape.targets_metadata(&[], None, None) {
            let Some(name) = m.metric else { continue };
            let kind = match m.kind.as_str() {
                "counter" => 1,
                "gauge" => 2,
                "histogram" => 3,
                "gaugehistogram" => 4,
                "summary" => 5,
                "info" => 6,
                "stateset" => 7,
                _ => 0,
            };
            seen.entry(name.clone()).or_insert(argus_model::remote::MetricMetadata {
                r#type: kind,
                metric_family_name: name,
                help: m.help,
                unit: m.unit,
            });
        }
        seen.into_values().collect()
    })
}

/// Largest push body accepted (413 above), as a guard against runaway clients.
const PUSH_MAX_BODY: usize = 16 << 20;

fn db_options(args: &ServeArgs) -> anyhow::Result<DbOptions> {
    let head = argus_tsdb::HeadOptions {
        out_of_order_window: config::parse_duration(&args.ooo_window)
            .context("invalid --storage.tsdb.out-of-order-time-window")?,
        max_series: args.head_max_series,
        ..Default::default()
    };
    let wal_fsync = match args.wal_fsync.as_str() {
        "commit" => argus_tsdb::WalFsync::Commit,
        "segment" => argus_tsdb::WalFsync::Segment,
        d => argus_tsdb::WalFsync::Interval(Duration::from_millis(
            config::parse_duration(d).context("invalid --storage.tsdb.wal-fsync")? as u64,
        )),
    };
    Ok(DbOptions {
        retention_time: config::parse_duration(&args.retention_time)
            .context("invalid --storage.tsdb.retention.time")?,
        retention_size: config::parse_bytes(&args.retention_size).context("invalid --storage.tsdb.retention.size")?,
        head,
        wal_fsync,
        ..DbOptions::default()
    })
}

/// alertmanager.yml (with its text for `/api/v2/status`), or the built-in
/// default that logs every notification.
fn load_am_config(
    path: Option<&std::path::Path>,
    expand_env: bool,
) -> anyhow::Result<(argus_alertmanager::Config, String)> {
    match path {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read alertmanager config {}", p.display()))?;
            let cfg = argus_alertmanager::Config::load_file_with(p, &argus_alertmanager::LoadOptions { expand_env })
                .map_err(|e| anyhow::anyhow!("{e}"))
                .with_context(|| format!("cannot load alertmanager config {}", p.display()))?;
            Ok((cfg, text))
        }
        None => Ok((argus_alertmanager::Config::builtin_default(), "# built-in default: a log receiver\n".into())),
    }
}

/// `http://<host>:<port>/` for the listen address, as Prometheus derives
/// its external URL (the host name when listening on all interfaces).
fn default_external_url(listen: &str) -> String {
    let (host, port) = listen.rsplit_once(':').unwrap_or((listen, "9090"));
    let host = if host.is_empty() || host == "0.0.0.0" || host == "[::]" {
        std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_string()).unwrap_or("localhost".into())
    } else {
        host.to_string()
    };
    format!("http://{host}:{port}")
}

fn duration_flag(s: &str, flag: &str) -> anyhow::Result<Duration> {
    Ok(Duration::from_millis(config::parse_duration(s).with_context(|| format!("invalid {flag}"))? as u64))
}
