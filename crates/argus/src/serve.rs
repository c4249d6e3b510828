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
use crate::{api, config, logging, selfmetrics};

pub(crate) fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    logging::init(&args.log);
    let rt =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    rt.block_on(serve(args))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
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
    let api_state = api::state(api::Inputs {
        db: db_cell.clone(),
        engine,
        flags: args.as_map(),
        config_yaml: config_yaml.clone(),
        reload_ok: reload_ok.clone(),
        retention: args.retention_time.clone(),
        enable_admin_api: args.enable_admin_api,
        external_labels: external_labels.clone(),
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
    let remote_write_stats = Arc::new(argus_web::RemoteWriteStats::default());
    let registry = Arc::new(selfmetrics::registry(
        db_cell.clone(),
        node.clone(),
        push_store.clone(),
        reload_status.clone(),
        remote_write_stats.clone(),
    ));
    let push_interval = Duration::from_millis(
        config::parse_duration(&args.push_persistence_interval).context("invalid --push.persistence.interval")? as u64,
    );
    let push_ttl = config::parse_duration(&args.push_group_ttl).context("invalid --push.group-ttl")?;
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
        api: api_state,
        node_metrics: Some(Arc::new(move || node_render.render_text())),
        push: Some(argus_web::PushState {
            store: push_store.clone(),
            admin: args.enable_admin_api,
            max_body_bytes: PUSH_MAX_BODY,
            start_time: logging::now_rfc3339(),
        }),
    };
    let listener = tokio::net::TcpListener::bind(&args.listen_address)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen_address))?;
    let local = listener.local_addr().context("cannot read the listen address")?;
    tracing::info!(address = %local, "listening");
    let mut http_stop = stop_rx.clone();
    // Optional second listener for drop-in use where clients expect a
    // Pushgateway's port (e.g. :9091); it serves the same routes.
    let push_http = match &args.push_listen_address {
        Some(addr) => {
            let l = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
            tracing::info!(address = %addr, "push gateway listening");
            let mut stop = stop_rx.clone();
            Some(tokio::spawn(argus_web::serve(l, argus_web::router(state.clone()), async move {
                let _ = stop.wait_for(|s| *s).await.map(|_| ());
            })))
        }
        None => None,
    };
    let http = tokio::spawn(argus_web::serve(listener, argus_web::router(state), async move {
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

    // Ingestion: the self-scrape, an internal target sampled like a scrape,
    // when the config has a job for it (the one aimed at our port, else the
    // only local /metrics job, since a config may name the default :9090).
    let self_job = cfg
        .self_jobs
        .iter()
        .find(|(_, p)| *p == Some(local.port()))
        .or_else(|| (cfg.self_jobs.len() == 1).then(|| &cfg.self_jobs[0]))
        .map(|(n, _)| n.clone());
    let scrape = self_job.map(|job| {
        let target = argus_scrape::InternalTarget::new(
            &job,
            &local_instance(&args.listen_address, local.port()),
            cfg.scrape_interval,
        );
        let reg = registry.clone();
        let source: argus_scrape::Source =
            Arc::new(move || (selfmetrics::render(&reg).into_bytes(), Format::OpenMetrics));
        tokio::spawn(target.run(db.clone(), source, stop_rx.clone()))
    });
    // The built-in host metrics job, when the config has one.
    let node_scrape = cfg.node_job.clone().map(|job| {
        let target = argus_scrape::InternalTarget::new(
            &job,
            &local_instance(&args.listen_address, local.port()),
            cfg.scrape_interval,
        );
        let source: argus_scrape::Source = Arc::new(move || (node.render_text().into_bytes(), Format::PromText));
        tokio::spawn(target.run(db.clone(), source, stop_rx.clone()))
    });

    // Pushed groups, sampled like a Prometheus scraping a Pushgateway.
    let push_scrape = cfg.push_job.clone().map(|(job, honor)| {
        let target = argus_scrape::InternalTarget::new(
            &job,
            &local_instance(&args.listen_address, local.port()),
            cfg.scrape_interval,
        )
        .with_honor_labels(honor);
        let store = push_store.clone();
        let source: argus_scrape::Source = Arc::new(move || (store.render_text().into_bytes(), Format::PromText));
        tokio::spawn(target.run(db.clone(), source, stop_rx.clone()))
    });

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

    let config_file = args.config_file.clone();
    let mut sighup =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).context("cannot watch SIGHUP")?;
    let mut sigterm =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).context("cannot watch SIGTERM")?;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => { tracing::info!("received SIGINT, exiting gracefully"); break; }
            _ = sigterm.recv() => { tracing::info!("received SIGTERM, exiting gracefully"); break; }
            _ = sighup.recv() => { let _ = reload(config_file.as_deref(), args.expand_env, &config_yaml, &reload_status); }
            Some(reply) = reload_rx.recv() => { let _ = reply.send(reload(config_file.as_deref(), args.expand_env, &config_yaml, &reload_status)); }
        }
    }

    let _ = stop_tx.send(true);
    if let Some(s) = scrape {
        let _ = s.await;
    }
    if let Some(n) = node_scrape {
        let _ = n.await;
    }
    if let Some(p) = push_scrape {
        let _ = p.await;
    }
    tracing::info!("scrape manager stopped");
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

/// Re-reads the configuration. A bad file is rejected with its reason and
/// the running configuration stays in force.
fn reload(
    path: Option<&std::path::Path>,
    expand_env: bool,
    yaml: &RwLock<String>,
    status: &selfmetrics::ReloadStatus,
) -> Result<(), String> {
    match config::load(path, expand_env) {
        Ok(cfg) => {
            if let Ok(mut y) = yaml.write() {
                *y = cfg.text;
            }
            status.record(true);
            tracing::info!("completed loading of configuration file");
            Ok(())
        }
        Err(e) => {
            status.record(false);
            tracing::error!(err = %format!("{e:#}"), "error reloading config; keeping the running one");
            Err(format!("{e:#}"))
        }
    }
}

fn local_instance(listen: &str, port: u16) -> String {
    match listen.rsplit_once(':') {
        Some((host, _)) if !host.is_empty() && host != "0.0.0.0" && host != "[::]" => {
            format!("{host}:{port}")
        }
        _ => format!("localhost:{port}"),
    }
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
