//! Command-line flags. Names follow Prometheus' where the concept is the same
//! (`--config.file`, `--storage.tsdb.path`, `--web.listen-address`, ...).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

fn long_version() -> &'static str {
    concat!(
        env!("CARGO_PKG_VERSION"),
        " (revision ",
        env!("ARGUS_GIT_REVISION"),
        ", built ",
        env!("ARGUS_BUILD_DATE"),
        ")"
    )
}

#[derive(Parser)]
#[command(name = "argus", version = VERSION, long_version = long_version(), about = "Metrics, alerts, pushes and host metrics in one process")]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Run the server: scrape, store, query.
    Serve(Box<ServeArgs>),
    /// Work on TSDB data directories: backfill, list, analyze.
    #[command(subcommand)]
    Tsdb(TsdbCommand),
    /// Validate configuration files, like promtool check / amtool check-config.
    #[command(subcommand)]
    Check(CheckCommand),
    /// Push a text-format file to a push gateway (argus or a Pushgateway).
    Push(PushArgs),
    /// Alertmanager tools, like amtool config routes.
    #[command(subcommand)]
    Alertmanager(AlertmanagerCommand),
    /// Unit-test rule files, like `promtool test rules`.
    #[command(subcommand)]
    Test(TestCommand),
    /// Query a running Prometheus-compatible server, like `promtool query`.
    #[command(subcommand)]
    Query(QueryCommand),
}

#[derive(Subcommand)]
pub(crate) enum TestCommand {
    /// Run promtool-format unit tests for rules; exit 1 when one fails.
    Rules {
        /// Only run test groups whose name matches this regular expression.
        #[arg(long)]
        run: Option<String>,
        /// Also list the alerting rules of the tested rule files that no test exercises.
        #[arg(long)]
        coverage: bool,
        /// Test files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// promtool's `--lint` and `--lint-fatal`.
#[derive(Args, Clone, Debug)]
pub(crate) struct LintArgs {
    /// Linting checks to apply: all, duplicate-rules, none.
    #[arg(long, default_value = "duplicate-rules")]
    pub lint: String,
    /// Make lint errors exit with exit code 3.
    #[arg(long = "lint-fatal")]
    pub lint_fatal: bool,
}

#[derive(Clone, Copy, ValueEnum, Debug, PartialEq, Eq)]
pub(crate) enum LogFormat {
    Logfmt,
    Json,
}

#[derive(Clone, Copy, ValueEnum, Debug, PartialEq, Eq)]
pub(crate) enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

#[derive(Args, Clone, Debug)]
pub(crate) struct LogArgs {
    /// Only log messages with the given severity or above.
    #[arg(long = "log.level", value_enum, default_value = "info")]
    pub level: LogLevel,
    /// Output format of log messages.
    #[arg(long = "log.format", value_enum, default_value = "logfmt")]
    pub format: LogFormat,
}

#[derive(Args, Clone, Debug)]
pub(crate) struct ServeArgs {
    /// Prometheus configuration file; without it an embedded default is used
    /// (scrape argus itself every 15s).
    #[arg(long = "config.file")]
    pub config_file: Option<PathBuf>,
    /// Replace `${VAR}` in the config files with environment variables
    /// (`$${VAR}` keeps a literal `${VAR}`); an unset variable is an error.
    #[arg(long = "config.expand-env")]
    pub expand_env: bool,
    /// The URL under which argus is reached from outside (used in alert
    /// generator links and templates' $externalURL).
    #[arg(long = "web.external-url")]
    pub external_url: Option<String>,
    /// alertmanager.yml for the built-in alert manager; without it alerts go
    /// to a `log` receiver that prints each notification.
    #[arg(long = "alertmanager.config.file")]
    pub alertmanager_config_file: Option<PathBuf>,
    /// Also serve the Alertmanager API v2 on this address (e.g. :9093) for
    /// Prometheus servers and tools that expect an Alertmanager there.
    #[arg(long = "alertmanager.listen-address")]
    pub alertmanager_listen_address: Option<String>,
    /// Max time to tolerate a Prometheus outage for restoring "for" state of alerts.
    #[arg(long = "rules.alert.for-outage-tolerance", default_value = "1h")]
    pub for_outage_tolerance: String,
    /// Minimum duration between alert and restored "for" state; kept only for
    /// alerts with a configured "for" time greater than the grace period.
    #[arg(long = "rules.alert.for-grace-period", default_value = "10m")]
    pub for_grace_period: String,
    /// Minimum amount of time to wait before resending an alert to Alertmanager.
    #[arg(long = "rules.alert.resend-delay", default_value = "1m")]
    pub resend_delay: String,
    /// Base path for metrics storage.
    #[arg(long = "storage.tsdb.path", default_value = "data/")]
    pub tsdb_path: PathBuf,
    /// How long to retain samples in storage (e.g. 15d, 100y); 0 disables time retention.
    #[arg(long = "storage.tsdb.retention.time", default_value = "15d")]
    pub retention_time: String,
    /// Maximum bytes of storage blocks to retain (e.g. 512MB, 10GB); 0 disables.
    #[arg(long = "storage.tsdb.retention.size", default_value = "0")]
    pub retention_size: String,
    /// Accept samples up to this much older than a series' newest sample (e.g. 10m); 0 rejects them.
    #[arg(long = "storage.tsdb.out-of-order-time-window", default_value = "0s")]
    pub ooo_window: String,
    /// Refuse to create series in the head beyond this many (0 = unlimited);
    /// refused samples are counted in argus_tsdb_series_limit_rejected_total.
    #[arg(long = "storage.tsdb.head-max-series", default_value_t = 0)]
    pub head_max_series: usize,
    /// When the WAL is fsynced: `commit` (every batch), an interval such as `1s`,
    /// or `segment` (only when a segment is closed, as Prometheus does).
    #[arg(long = "storage.tsdb.wal-fsync", default_value = "1s")]
    pub wal_fsync: String,
    /// Maximum time a query may take before being aborted.
    #[arg(long = "query.timeout", default_value = "2m")]
    pub query_timeout: String,
    /// Maximum number of samples a single query can load into memory.
    #[arg(long = "query.max-samples", default_value_t = 50_000_000)]
    pub query_max_samples: usize,
    /// How far back to look for a sample of an instant selector.
    #[arg(long = "query.lookback-delta", default_value = "5m")]
    pub query_lookback: String,
    /// Directory (or glob) of `*.prom` files for the textfile collector of
    /// the built-in host metrics.
    #[arg(long = "collector.textfile.directory")]
    pub textfile_directory: Option<PathBuf>,
    /// Also serve everything (including the push gateway API) on this address,
    /// e.g. :9091 where scripts expect a Pushgateway.
    #[arg(long = "push.listen-address")]
    pub push_listen_address: Option<String>,
    /// File the push gateway's groups are saved to and restored from
    /// (default: pushgateway.state in the storage directory).
    #[arg(long = "push.persistence.file")]
    pub push_persistence_file: Option<PathBuf>,
    /// Minimum time between two saves of the push gateway's groups.
    #[arg(long = "push.persistence.interval", default_value = "1m")]
    pub push_persistence_interval: String,
    /// Drop pushed groups whose last push is older than this (e.g. 1h); 0 keeps
    /// them forever, as the Pushgateway does.
    #[arg(long = "push.group-ttl", default_value = "0")]
    pub push_group_ttl: String,
    /// Accept samples on `POST /api/v1/write` (remote write 1.0), like
    /// Prometheus' flag of the same name.
    #[arg(long = "web.enable-remote-write-receiver")]
    pub enable_remote_write_receiver: bool,
    /// Enable API endpoints for admin control actions (TSDB snapshots).
    #[arg(long = "web.enable-admin-api")]
    pub enable_admin_api: bool,
    /// Address to listen on for the UI, API and telemetry.
    #[arg(long = "web.listen-address", default_value = "0.0.0.0:9090")]
    pub listen_address: String,
    #[command(flatten)]
    pub log: LogArgs,
}

#[derive(Subcommand)]
pub(crate) enum TsdbCommand {
    /// Create blocks from data in another format (promtool's contract).
    #[command(name = "create-blocks-from", subcommand)]
    CreateBlocksFrom(CreateBlocksFrom),
    /// List the blocks of a data directory.
    List(TsdbListArgs),
    /// Analyze churn, label cardinality and compaction of a data directory.
    Analyze(TsdbAnalyzeArgs),
}

#[derive(Subcommand)]
pub(crate) enum CreateBlocksFrom {
    /// Import OpenMetrics text with timestamps into new blocks.
    Openmetrics(OpenMetricsArgs),
}

#[derive(Args)]
pub(crate) struct OpenMetricsArgs {
    /// OpenMetrics input file (must end with `# EOF`).
    pub input: PathBuf,
    /// Output directory for the new blocks.
    #[arg(default_value = "data/")]
    pub output: PathBuf,
    /// Longest duration of a created block (e.g. 2h, 24h).
    #[arg(long = "max-block-duration", default_value = "24h")]
    pub max_block_duration: String,
    /// Do not show a progress bar.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Args)]
pub(crate) struct TsdbListArgs {
    /// Data directory.
    #[arg(default_value = "data/")]
    pub dir: PathBuf,
    /// Print sizes in human-readable units.
    #[arg(short = 'r', long = "human-readable")]
    pub human: bool,
}

#[derive(Args)]
pub(crate) struct TsdbAnalyzeArgs {
    /// Data directory.
    #[arg(default_value = "data/")]
    pub dir: PathBuf,
    /// Block to analyze (default: the newest).
    pub block_id: Option<String>,
    /// How many items to show in each list.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
}

impl ServeArgs {
    /// The flags as `/api/v1/status/flags` reports them.
    pub(crate) fn as_map(&self) -> std::collections::BTreeMap<String, String> {
        let mut m = std::collections::BTreeMap::new();
        let mut put = |k: &str, v: String| {
            m.insert(k.to_string(), v);
        };
        put("config.file", self.config_file.as_ref().map(|p| p.display().to_string()).unwrap_or_default());
        put("config.expand-env", self.expand_env.to_string());
        put("web.external-url", self.external_url.clone().unwrap_or_default());
        put(
            "alertmanager.config.file",
            self.alertmanager_config_file.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
        );
        put("alertmanager.listen-address", self.alertmanager_listen_address.clone().unwrap_or_default());
        put("rules.alert.for-outage-tolerance", self.for_outage_tolerance.clone());
        put("rules.alert.for-grace-period", self.for_grace_period.clone());
        put("rules.alert.resend-delay", self.resend_delay.clone());
        put("storage.tsdb.path", self.tsdb_path.display().to_string());
        put("storage.tsdb.retention.time", self.retention_time.clone());
        put("storage.tsdb.retention.size", self.retention_size.clone());
        put("storage.tsdb.out-of-order-time-window", self.ooo_window.clone());
        put("storage.tsdb.wal-fsync", self.wal_fsync.clone());
        put("storage.tsdb.head-max-series", self.head_max_series.to_string());
        put("query.timeout", self.query_timeout.clone());
        put("query.max-samples", self.query_max_samples.to_string());
        put("query.lookback-delta", self.query_lookback.clone());
        put("web.listen-address", self.listen_address.clone());
        put("web.enable-admin-api", self.enable_admin_api.to_string());
        put("web.enable-remote-write-receiver", self.enable_remote_write_receiver.to_string());
        put(
            "push.persistence.file",
            self.push_persistence_file.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
        );
        put("push.persistence.interval", self.push_persistence_interval.clone());
        put("push.group-ttl", self.push_group_ttl.clone());
        put("push.listen-address", self.push_listen_address.clone().unwrap_or_default());
        put(
            "collector.textfile.directory",
            self.textfile_directory.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
        );
        put("log.level", format!("{:?}", self.log.level).to_lowercase());
        put("log.format", format!("{:?}", self.log.format).to_lowercase());
        m
    }
}

#[derive(Clone, Copy, ValueEnum, Debug, PartialEq, Eq)]
pub(crate) enum QueryFormat {
    /// promtool's text output.
    Table,
    /// The API's `data` as JSON.
    Json,
}

#[derive(Subcommand)]
pub(crate) enum QueryCommand {
    /// Run an instant query.
    Instant {
        /// Server URL, e.g. http://127.0.0.1:9090.
        server: String,
        /// PromQL expression.
        expr: String,
        /// Evaluation time (RFC 3339 or Unix seconds); default now.
        #[arg(long)]
        time: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: QueryFormat,
    },
    /// Run a range query.
    Range {
        /// Server URL.
        server: String,
        /// PromQL expression.
        expr: String,
        /// Start time (RFC 3339 or Unix seconds); default 5 minutes before end.
        #[arg(long)]
        start: Option<String>,
        /// End time; default now.
        #[arg(long)]
        end: Option<String>,
        /// Step (duration or seconds); default 15s.
        #[arg(long)]
        step: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: QueryFormat,
    },
    /// Find series by label matchers.
    Series {
        /// Server URL.
        server: String,
        /// Series selector; repeat for several.
        #[arg(long = "match", required = true)]
        matchers: Vec<String>,
        /// Start time.
        #[arg(long)]
        start: Option<String>,
        /// End time.
        #[arg(long)]
        end: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: QueryFormat,
    },
    /// List label names, or the values of one label.
    Labels {
        /// Server URL.
        server: String,
        /// Label name whose values to list; all label names when omitted.
        name: Option<String>,
        /// Start time.
        #[arg(long)]
        start: Option<String>,
        /// End time.
        #[arg(long)]
        end: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: QueryFormat,
    },
}

#[derive(Subcommand)]
pub(crate) enum CheckCommand {
    /// Validate alertmanager.yml files; output and exit code as `amtool check-config`.
    Alertmanager {
        /// Files to check.
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// Validate prometheus.yml and the rule files it names, like `promtool check config`.
    Config {
        /// Only check the config file syntax, ignoring files it references.
        #[arg(long = "syntax-only")]
        syntax_only: bool,
        /// Replace ${VAR} with environment variables before checking.
        #[arg(long = "config.expand-env")]
        expand_env: bool,
        #[command(flatten)]
        lint: LintArgs,
        /// Config files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Validate rule files, like `promtool check rules`.
    Rules {
        #[command(flatten)]
        lint: LintArgs,
        /// Rule files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
pub(crate) enum AlertmanagerCommand {
    /// Show or test the routing tree.
    #[command(subcommand)]
    Routes(RoutesCommand),
    /// Send a synthetic test alert through every receiver of a config (or
    /// one) and print a pass/fail table; exit 1 if any delivery failed.
    Drill {
        /// alertmanager.yml to drill.
        #[arg(long = "config.file")]
        config_file: PathBuf,
        /// Only this receiver.
        #[arg(long)]
        receiver: Option<String>,
    },
}

#[derive(Subcommand)]
pub(crate) enum RoutesCommand {
    /// Print the routing tree, as `amtool config routes show`.
    Show {
        /// alertmanager.yml to read.
        #[arg(long = "config.file", required = true)]
        config_file: String,
    },
    /// Print the receivers a label set routes to, as `amtool config routes test`.
    Test {
        /// alertmanager.yml to read.
        #[arg(long = "config.file", required = true)]
        config_file: String,
        /// Fail unless the receivers are exactly these (comma-separated).
        #[arg(long = "verify.receivers")]
        verify: Option<String>,
        /// Print the matching routes as a tree.
        #[arg(long)]
        tree: bool,
        /// Labels as name=value.
        labels: Vec<String>,
    },
}

#[derive(Clone, Copy, ValueEnum, Debug, PartialEq, Eq)]
pub(crate) enum PushMethod {
    /// Replace the whole group.
    Put,
    /// Replace only the pushed metric families.
    Post,
}

#[derive(Args)]
pub(crate) struct PushArgs {
    /// Base URL of the gateway, e.g. http://127.0.0.1:9090.
    #[arg(long)]
    pub url: String,
    /// Job name of the group.
    #[arg(long)]
    pub job: String,
    /// More grouping labels as name=value (repeatable), e.g. --label instance=db1.
    #[arg(long = "label")]
    pub labels: Vec<String>,
    /// PUT replaces the group, POST only the families in the file.
    #[arg(long, value_enum, default_value = "put")]
    pub method: PushMethod,
    /// Delete the group instead of pushing.
    #[arg(long)]
    pub delete: bool,
    /// Retries after a failed attempt (network error or 5xx), with backoff.
    #[arg(long, default_value_t = 3)]
    pub retries: u32,
    /// Timeout of one attempt in seconds.
    #[arg(long = "timeout", default_value_t = 10)]
    pub timeout_secs: u64,
    /// Text-format file to push; `-` or nothing reads stdin.
    pub file: Option<String>,
}
