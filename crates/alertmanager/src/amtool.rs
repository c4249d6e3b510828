//! What `amtool check-config` and `amtool config routes [test]` print, so that
//! `argus check alertmanager` and `argus alertmanager routes` give the same text
//! for the same input (amtool 0.25).

use std::path::Path;

use argus_model::Labels;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::matchers::parse_matcher;
use crate::route::Route;

/// What `amtool check-config` found in a valid file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The path as given on the command line.
    pub path: String,
    /// Number of inhibit rules.
    pub inhibit_rules: usize,
    /// Number of receivers.
    pub receivers: usize,
    /// Number of template globs.
    pub templates: usize,
    /// Whether the template globs are usable (`None` when there are none).
    pub templates_ok: Option<std::result::Result<(), String>>,
}

impl std::fmt::Display for Summary {
    /// The exact stdout of `amtool check-config PATH` for this file.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Checking '{}'  SUCCESS", self.path)?;
        writeln!(f, "Found:\n - global config\n - route")?;
        writeln!(
            f,
            " - {} inhibit rules\n - {} receivers\n - {} templates",
            self.inhibit_rules, self.receivers, self.templates
        )?;
        match &self.templates_ok {
            Some(Ok(())) => writeln!(f, "  SUCCESS")?,
            Some(Err(e)) => writeln!(f, "  FAILED: {e}")?,
            None => {}
        }
        writeln!(f)
    }
}

/// Loads and validates `path` as `amtool check-config` does. On failure the
/// error's [`Error::am_message`] is what amtool prints after `FAILED: `.
pub fn check_config(path: impl AsRef<Path>) -> Result<Summary> {
    let path = path.as_ref();
    let cfg = Config::load_file(path)?;
    let templates_ok = (!cfg.templates.is_empty()).then(|| {
        for t in &cfg.templates {
            glob::glob(t).map_err(|e| format!("invalid template glob {t:?}: {e}"))?;
        }
        Ok(())
    });
    Ok(Summary {
        path: path.display().to_string(),
        inhibit_rules: cfg.inhibit_rules.len(),
        receivers: cfg.receivers.len(),
        templates: cfg.templates.len(),
        templates_ok,
    })
}

/// The output of an amtool-like command: stdout, stderr and exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// What goes to stdout.
    pub stdout: String,
    /// What goes to stderr.
    pub stderr: String,
    /// The process exit code.
    pub code: i32,
}

/// `amtool check-config FILE...`: one block per file, exit code 1 if any failed.
pub fn check_config_output(paths: &[&str]) -> Output {
    // amtool's flag parser rejects a missing file before checking any.
    if let Some(p) = paths.iter().find(|p| !Path::new(p).exists()) {
        return Output {
            stdout: String::new(),
            stderr: format!("amtool: error: path '{p}' does not exist\n"),
            code: 1,
        };
    }
    let mut stdout = String::new();
    let mut failed = 0;
    for p in paths {
        match check_config(p) {
            Ok(s) => {
                if matches!(s.templates_ok, Some(Err(_))) {
                    failed += 1;
                }
                stdout.push_str(&s.to_string());
            }
            Err(e) => {
                failed += 1;
                stdout.push_str(&format!("Checking '{p}'  FAILED: {}\n\n", e.am_message()));
            }
        }
    }
    let (stderr, code) = if failed > 0 {
        (format!("amtool: error: failed to validate {failed} file(s)\n\n"), 1)
    } else {
        (String::new(), 0)
    };
    Output { stdout, stderr, code }
}

/// Parses `name=value` arguments as amtool does (only `=` matchers are allowed).
pub fn parse_label_args(args: &[&str]) -> Result<Labels> {
    let mut pairs = Vec::new();
    for a in args {
        let m = parse_matcher(a)?;
        if m.op != argus_model::MatchOp::Equal {
            return Err(Error::Matcher("labels must be specified as key=value pairs".into()));
        }
        pairs.push((m.name, m.value));
    }
    Ok(Labels::from_pairs(pairs))
}

/// The receivers an alert with `labels` reaches, as `amtool config routes test`
/// prints them: in match order, comma-separated, duplicates kept.
pub fn receivers_slug(cfg: &Config, labels: &Labels) -> String {
    cfg.route.match_labels(labels).iter().map(|r| r.opts.receiver.as_str()).collect::<Vec<_>>().join(",")
}

/// `amtool config routes test [--tree] [--verify.receivers=R] labels...` on a loaded config.
pub fn routes_test_output(cfg: &Config, args: &[&str], verify: Option<&str>, tree: bool) -> Output {
    let labels = match parse_label_args(args) {
        Ok(l) => l,
        Err(e) => {
            return Output {
                stdout: String::new(),
                stderr: format!("amtool: error: Failed to parse labels: {}\n\n", e.am_message()),
                code: 1,
            };
        }
    };
    let mut stdout = String::new();
    if tree {
        let mut t = Tree::root();
        matching_tree(&cfg.route, &labels, &mut t);
        stdout.push_str("Matching routes:\n");
        stdout.push_str(&t.render());
        stdout.push_str("\n\n");
    }
    let slug = receivers_slug(cfg, &labels);
    stdout.push_str(&slug);
    stdout.push('\n');
    let mut code = 0;
    if let Some(v) = verify
        && !v.is_empty()
        && v != slug
    {
        stdout.push_str("WARNING: Expected receivers did not match resolved receivers.\n");
        code = 1;
    }
    Output { stdout, stderr: String::new(), code }
}

/// `amtool config routes test --config.file=PATH ...`, including the load error.
pub fn routes_test_file(path: impl AsRef<Path>, args: &[&str], verify: Option<&str>, tree: bool) -> Output {
    match Config::load_file(path) {
        Ok(cfg) => routes_test_output(&cfg, args, verify, tree),
        Err(e) => load_failure(&e),
    }
}

/// `amtool config routes --config.file=PATH`, including the load error.
pub fn routes_show_file(path: impl AsRef<Path>) -> Output {
    match Config::load_file(path) {
        Ok(cfg) => Output { stdout: routes_show_output(&cfg), stderr: String::new(), code: 0 },
        Err(e) => load_failure(&e),
    }
}

fn load_failure(e: &Error) -> Output {
    let msg = match e {
        Error::Io { path, .. } => format!("path '{}' does not exist", path.display()),
        e => e.am_message(),
    };
    Output { stdout: String::new(), stderr: format!("amtool: error: {msg}\n\n"), code: 1 }
}

/// `amtool config routes` (the tree view) on a loaded config.
pub fn routes_show_output(cfg: &Config) -> String {
    let mut t = Tree::root();
    show_tree(&cfg.route, &mut t);
    format!("Routing tree:\n{}\n", t.render())
}

fn slug(r: &Route, show_continue: bool, show_receiver: bool) -> String {
    let mut s = if r.matchers.is_empty() { "default-route".to_string() } else { r.matchers.to_string() };
    if r.continue_matching && show_continue {
        s.push_str("  continue: true");
    }
    if show_receiver {
        s.push_str(&format!("  receiver: {}", r.opts.receiver));
    }
    s
}

fn show_tree(r: &Route, parent: &mut Tree) {
    let mut node = Tree::new(slug(r, true, true));
    for c in &r.routes {
        show_tree(c, &mut node);
    }
    parent.children.push(node);
}

// amtool's matching tree only checks each child's own matchers, not whether the
// child's subtree matches; we mirror that, because the output is what counts here.
fn matching_tree(r: &Route, labels: &Labels, parent: &mut Tree) {
    let mut node = Tree::new(slug(r, false, false));
    let mut is_final = true;
    for c in &r.routes {
        if c.matchers.matches(labels) {
            matching_tree(c, labels, &mut node);
            is_final = false;
            if !c.continue_matching {
                break;
            }
        }
    }
    if is_final {
        node.value = slug(r, false, true);
    }
    parent.children.push(node);
}

/// A minimal `treeprint` (github.com/xlab/treeprint) renderer.
struct Tree {
    value: String,
    children: Vec<Tree>,
}

impl Tree {
    fn root() -> Self {
        Tree::new(".".to_string())
    }

    fn new(value: String) -> Self {
        Tree { value, children: Vec::new() }
    }

    fn render(&self) -> String {
        let mut out = format!("{}\n", self.value);
        render_children(&self.children, "", &mut out);
        out
    }
}

fn render_children(children: &[Tree], prefix: &str, out: &mut String) {
    for (i, c) in children.iter().enumerate() {
        let last = i + 1 == children.len();
        out.push_str(prefix);
        out.push_str(if last { "└── " } else { "├── " });
        out.push_str(&c.value);
        out.push('\n');
        // treeprint pads the vertical bar with two no-break spaces and a space.
        let next = format!("{prefix}{}", if last { "    " } else { "│\u{a0}\u{a0} " });
        render_children(&c.children, &next, out);
    }
}
