//! `label_replace` and `label_join`.
//!
//! Both validate their string arguments once, before the first step, so an
//! invalid regex or label name fails even when the input vector is empty.
//! Regexes are fully anchored like Prometheus' (`^(?:re)$`); `$1`, `${1}` and
//! `$name` expand with Go's rules (a name is the longest run of word
//! characters, so `$1x` is the group named `1x`), which Rust's `regex` shares. Perl classes are ASCII-only as in Go (see `regex_go`).

use std::collections::HashMap;
use std::sync::Arc;

use argus_model::{Labels, is_valid_label_name};
use promql_parser::parser::Expr;

use crate::error::{Error, Result};
use crate::eval::{Evaluator, Sample, Val};

impl Evaluator<'_, '_> {
    pub(crate) fn eval_label_replace(&self, args: &[&Expr]) -> Result<Val> {
        let v = self.arg_vector(args, 0)?;
        let dst = self.arg_string(args, 1)?;
        let repl = self.arg_string(args, 2)?;
        let src = self.arg_string(args, 3)?;
        let re_str = self.arg_string(args, 4)?;
        let re = crate::regex_go::compile_anchored(&re_str).map_err(|_| {
            Error::exec(format!(
                "invalid regular expression in label_replace(): {re_str}"
            ))
        })?;
        if !is_valid_label_name(&dst) {
            return Err(Error::exec(format!(
                "invalid destination label name in label_replace(): {dst}"
            )));
        }
        let mut memo: HashMap<Arc<Labels>, Arc<Labels>> = HashMap::new();
        let m = self.range_eval(&[v], |sa, _| {
            let mut out = Vec::new();
            for s in sa[0].take_vector() {
                let labels = memo
                    .entry(s.labels.clone())
                    .or_insert_with(|| {
                        let src_val = s.labels.get(&src).unwrap_or("");
                        match re.captures(src_val) {
                            None => s.labels.clone(),
                            Some(caps) => {
                                let mut res = String::new();
                                caps.expand(&repl, &mut res);
                                let mut b = s.labels.builder();
                                b.del(&dst);
                                if !res.is_empty() {
                                    b.set(dst.clone(), res);
                                }
                                Arc::new(b.build())
                            }
                        }
                    })
                    .clone();
                out.push(Sample { labels, v: s.v });
            }
            Ok(out)
        })?;
        Ok(Val::Vector(m))
    }

    pub(crate) fn eval_label_join(&self, args: &[&Expr]) -> Result<Val> {
        let v = self.arg_vector(args, 0)?;
        let dst = self.arg_string(args, 1)?;
        let sep = self.arg_string(args, 2)?;
        let mut srcs = Vec::new();
        for i in 3..args.len() {
            let s = self.arg_string(args, i)?;
            if !is_valid_label_name(&s) {
                return Err(Error::exec(format!(
                    "invalid source label name in label_join(): {s}"
                )));
            }
            srcs.push(s);
        }
        if !is_valid_label_name(&dst) {
            return Err(Error::exec(format!(
                "invalid destination label name in label_join(): {dst}"
            )));
        }
        let m = self.range_eval(&[v], |sa, _| {
            Ok(sa[0]
                .take_vector()
                .into_iter()
                .map(|s| {
                    let joined = srcs
                        .iter()
                        .map(|n| s.labels.get(n).unwrap_or(""))
                        .collect::<Vec<_>>()
                        .join(&sep);
                    let mut b = s.labels.builder();
                    b.set(dst.clone(), joined);
                    Sample {
                        labels: Arc::new(b.build()),
                        v: s.v,
                    }
                })
                .collect())
        })?;
        Ok(Val::Vector(m))
    }
}
