//! `label_replace` and `label_join`.
//!
//! Both validate their string arguments once, before the first step, so an
//! invalid regex or label name fails even when the input vector is empty.
//! Regexes are fully anchored like Prometheus' (`^(?:re)$`); `$1`, `${1}` and
//! `$name` expand with Go's rules (a name is the longest run of word
//! characters, so `$1x` is the group named `1x`), which Rust's `regex` shares. Perl classes are ASCII-only as in Go (see `argus_model::compile_anchored`).

use std::sync::Arc;

use argus_model::{Labels, is_valid_label_name};
use promql_parser::parser::Expr;

use crate::error::{Error, Result};
use crate::eval::{Evaluator, LabelCache, Sample, Val};

impl Evaluator<'_, '_> {
    pub(crate) fn eval_label_replace(&self, args: &[&Expr]) -> Result<Val> {
        let v = self.arg_vector(args, 0)?;
        let dst = self.arg_string(args, 1)?;
        let repl = self.arg_string(args, 2)?;
        let src = self.arg_string(args, 3)?;
        let re_str = self.arg_string(args, 4)?;
        let re = argus_model::compile_anchored(&re_str)
            .map_err(|_| Error::exec(format!("invalid regular expression in label_replace(): {re_str}")))?;
        if !is_valid_label_name(&dst) {
            return Err(Error::exec(format!("invalid destination label name in label_replace(): {dst}")));
        }
        let mut memo: LabelCache<Arc<Labels>> = LabelCache::new();
        let m = self.range_eval(&[v], |sa, _| {
            let mut out = Vec::new();
            for s in sa[0].take_vector() {
                let labels = memo.get(&s.labels, |ls| {
                    let src_val = ls.get(&src).unwrap_or("");
                    match re.captures(src_val) {
                        None => ls.clone(),
                        Some(caps) => {
                            let mut res = String::new();
                            caps.expand(&repl, &mut res);
                            let mut b = ls.builder();
                            b.del(&dst);
                            if !res.is_empty() {
                                b.set(dst.clone(), res);
                            }
                            Arc::new(b.build())
                        }
                    }
                });
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
                return Err(Error::exec(format!("invalid source label name in label_join(): {s}")));
            }
            srcs.push(s);
        }
        if !is_valid_label_name(&dst) {
            return Err(Error::exec(format!("invalid destination label name in label_join(): {dst}")));
        }
        let mut memo: LabelCache<Arc<Labels>> = LabelCache::new();
        let m = self.range_eval(&[v], |sa, _| {
            Ok(sa[0]
                .take_vector()
                .into_iter()
                .map(|s| {
                    let labels = memo.get(&s.labels, |ls| {
                        let joined = srcs.iter().map(|n| ls.get(n).unwrap_or("")).collect::<Vec<_>>().join(&sep);
                        let mut b = ls.builder();
                        b.set(dst.clone(), joined);
                        Arc::new(b.build())
                    });
                    Sample { labels, v: s.v }
                })
                .collect())
        })?;
        Ok(Val::Vector(m))
    }
}
