//! Binary operators: arithmetic, comparison (filtering or `bool`), set
//! operators, and vector matching with `on`/`ignoring` and `group_left`/`group_right`.
//!
//! Follows Prometheus 2.42's `VectorBinop`, `VectorscalarBinop` and the set
//! operators, including their error messages and which operators drop the
//! metric name (arithmetic and `bool` comparisons; not `atan2`).

use std::sync::Arc;

use argus_model::{Labels, METRIC_NAME};
use promql_parser::parser::{BinModifier, BinaryExpr, LabelModifier, VectorMatchCardinality};

use crate::error::{Error, Result};
use crate::eval::{Evaluator, IntMap, IntSet, LabelCache, NameDropper, Sample, Val, Vector, hash_labels};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Atan2,
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    And,
    Or,
    Unless,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "+" => Op::Add,
            "-" => Op::Sub,
            "*" => Op::Mul,
            "/" => Op::Div,
            "%" => Op::Mod,
            "^" => Op::Pow,
            "atan2" => Op::Atan2,
            "==" => Op::Eq,
            "!=" => Op::Ne,
            ">" => Op::Gt,
            "<" => Op::Lt,
            ">=" => Op::Ge,
            "<=" => Op::Le,
            "and" => Op::And,
            "or" => Op::Or,
            "unless" => Op::Unless,
            _ => return None,
        })
    }

    fn is_comparison(self) -> bool {
        matches!(self, Op::Eq | Op::Ne | Op::Gt | Op::Lt | Op::Ge | Op::Le)
    }

    fn drops_name(self) -> bool {
        matches!(self, Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod | Op::Pow)
    }
}

/// Applies `op`; returns the value and whether a comparison held.
fn elem(op: Op, l: f64, r: f64) -> (f64, bool) {
    match op {
        Op::Add => (l + r, true),
        Op::Sub => (l - r, true),
        Op::Mul => (l * r, true),
        Op::Div => (l / r, true),
        Op::Mod => (l % r, true),
        Op::Pow => (l.powf(r), true),
        Op::Atan2 => (l.atan2(r), true),
        Op::Eq => (l, l == r),
        Op::Ne => (l, l != r),
        Op::Gt => (l, l > r),
        Op::Lt => (l, l < r),
        Op::Ge => (l, l >= r),
        Op::Le => (l, l <= r),
        Op::And | Op::Or | Op::Unless => (f64::NAN, false),
    }
}

/// The resolved vector-matching modifiers.
struct Matching {
    card: VectorMatchCardinality,
    on: bool,
    labels: Vec<String>,
    include: Vec<String>,
}

impl Matching {
    fn from(m: &Option<BinModifier>, set_op: bool) -> Matching {
        let (card, matching) = match m {
            Some(m) => (m.card.clone(), m.matching.clone()),
            None => (VectorMatchCardinality::OneToOne, None),
        };
        let card = if set_op { VectorMatchCardinality::ManyToMany } else { card };
        let include = match &card {
            VectorMatchCardinality::ManyToOne(l) | VectorMatchCardinality::OneToMany(l) => l.labels.clone(),
            _ => Vec::new(),
        };
        let (on, labels) = match matching {
            Some(LabelModifier::Include(l)) => (true, l.labels),
            Some(LabelModifier::Exclude(l)) => (false, l.labels),
            None => (false, Vec::new()),
        };
        Matching { card, on, labels, include }
    }

    /// The hash of the match signature of a label set.
    fn sig(&self, ls: &Labels) -> u64 {
        if self.on {
            hash_labels(ls, |n| self.labels.iter().any(|x| x == n))
        } else {
            hash_labels(ls, |n| n != METRIC_NAME && !self.labels.iter().any(|x| x == n))
        }
    }

    /// The match signature of a label set (for error messages).
    fn signature(&self, ls: &Labels) -> Labels {
        let mut b = ls.builder();
        if self.on {
            b.retain(|l| self.labels.iter().any(|x| *x == l.name));
        } else {
            b.retain(|l| l.name != METRIC_NAME && !self.labels.iter().any(|x| *x == l.name));
        }
        b.build()
    }
}

impl Evaluator<'_, '_> {
    pub(crate) fn eval_binary(&self, b: &BinaryExpr) -> Result<Val> {
        let op_s = b.op.to_string();
        let op = Op::parse(&op_s).ok_or_else(|| Error::Parse(format!("parse error: unknown operator {op_s}")))?;
        let return_bool = b.modifier.as_ref().is_some_and(|m| m.return_bool);
        let lhs = self.eval(&b.lhs)?;
        let rhs = self.eval(&b.rhs)?;
        match (lhs, rhs) {
            (Val::Scalar(l), Val::Scalar(r)) => {
                // Like a rangeEval: both operands released, one sample per step kept.
                self.ctx.release_samples(l.len() + r.len());
                self.ctx.add_samples(self.steps())?;
                Ok(Val::Scalar(
                    l.iter()
                        .zip(r.iter())
                        .map(|(&a, &c)| {
                            let (v, keep) = elem(op, a, c);
                            if op.is_comparison() { if keep { 1.0 } else { 0.0 } } else { v }
                        })
                        .collect(),
                ))
            }
            (l @ Val::Vector(_), r @ Val::Vector(_)) => {
                let set_op = matches!(op, Op::And | Op::Or | Op::Unless);
                let matching = Matching::from(&b.modifier, set_op);
                let args = [l, r];
                let mut c = Cache::default();
                let m = self.range_eval(&args, |sa, _| {
                    let lv = sa[0].take_vector();
                    let rv = sa[1].take_vector();
                    match op {
                        Op::And => Ok(and_unless(lv, rv, &matching, true, &mut c)),
                        Op::Unless => Ok(and_unless(lv, rv, &matching, false, &mut c)),
                        Op::Or => Ok(or(lv, rv, &matching, &mut c)),
                        _ => vector_binop(op, lv, rv, &matching, return_bool, &mut c),
                    }
                })?;
                Ok(Val::Vector(m))
            }
            (l, r) => {
                let (vec, swap) = match (&l, &r) {
                    (Val::Vector(_), Val::Scalar(_)) => (0, false),
                    (Val::Scalar(_), Val::Vector(_)) => (1, true),
                    _ => return Err(Error::exec("invalid operand types for binary operator")),
                };
                let args = [l, r];
                let mut nd = NameDropper::new();
                let m = self.range_eval(&args, |sa, _| {
                    let scalar = sa[1 - vec].scalar();
                    let v = sa[vec].take_vector();
                    Ok(vector_scalar(op, v, scalar, swap, return_bool, &mut nd))
                })?;
                Ok(Val::Vector(m))
            }
        }
    }
}

/// Derived values kept across the steps of one vector-vector operation.
#[derive(Default)]
struct Cache {
    /// Match signature hash per input series.
    sig: LabelCache<u64>,
    /// Result labels and their hash per (lhs, rhs) input pair.
    result: IntMap<(usize, usize), (Arc<Labels>, u64)>,
}

impl Cache {
    fn sig(&mut self, m: &Matching, ls: &Arc<Labels>) -> u64 {
        self.sig.get(ls, |l| m.sig(l))
    }
}

fn vector_scalar(op: Op, v: Vector, scalar: f64, swap: bool, return_bool: bool, nd: &mut NameDropper) -> Vector {
    let mut out = Vec::with_capacity(v.len());
    for mut s in v {
        let (l, r) = if swap { (scalar, s.v) } else { (s.v, scalar) };
        let (mut value, mut keep) = elem(op, l, r);
        if op.is_comparison() && swap {
            value = r;
        }
        if return_bool {
            value = if keep { 1.0 } else { 0.0 };
            keep = true;
        }
        if keep {
            s.v = value;
            if op.drops_name() || return_bool {
                s.labels = nd.drop_name(&s.labels);
            }
            out.push(s);
        }
    }
    out
}

fn and_unless(lhs: Vector, rhs: Vector, m: &Matching, and: bool, c: &mut Cache) -> Vector {
    if and && (lhs.is_empty() || rhs.is_empty()) {
        return Vec::new();
    }
    let right: IntSet<u64> = rhs.iter().map(|s| c.sig(m, &s.labels)).collect();
    lhs.into_iter().filter(|s| right.contains(&c.sig(m, &s.labels)) == and).collect()
}

fn or(lhs: Vector, rhs: Vector, m: &Matching, c: &mut Cache) -> Vector {
    let left: IntSet<u64> = lhs.iter().map(|s| c.sig(m, &s.labels)).collect();
    let mut out = lhs;
    out.extend(rhs.into_iter().filter(|s| !left.contains(&c.sig(m, &s.labels))));
    out
}

fn vector_binop(op: Op, lhs: Vector, rhs: Vector, m: &Matching, return_bool: bool, c: &mut Cache) -> Result<Vector> {
    if lhs.is_empty() || rhs.is_empty() {
        return Ok(Vec::new());
    }
    let one_to_many = matches!(m.card, VectorMatchCardinality::OneToMany(_));
    let (lhs, rhs) = if one_to_many { (rhs, lhs) } else { (lhs, rhs) };
    let mut right: IntMap<u64, Sample> = IntMap::default();
    for s in rhs {
        let sig = c.sig(m, &s.labels);
        if let Some(dup) = right.get(&sig) {
            let side = if one_to_many { "left" } else { "right" };
            return Err(Error::exec(format!(
                "found duplicate series for the match group {} on the {side} hand-side of the operation: [{}, {}];many-to-many matching not allowed: matching labels must be unique on one side",
                m.signature(&s.labels),
                s.labels,
                dup.labels
            )));
        }
        right.insert(sig, s);
    }
    let one_to_one = matches!(m.card, VectorMatchCardinality::OneToOne);
    // One-to-one: signatures matched so far; otherwise (signature, result labels) pairs.
    let mut matched: IntSet<(u64, u64)> = IntSet::default();
    let mut out = Vec::new();
    for ls in lhs {
        let sig = c.sig(m, &ls.labels);
        let Some(rs) = right.get(&sig) else { continue };
        let (l, r) = if one_to_many { (rs.v, ls.v) } else { (ls.v, rs.v) };
        let (mut value, mut keep) = elem(op, l, r);
        if return_bool {
            value = if keep { 1.0 } else { 0.0 };
            keep = true;
        }
        if !keep {
            continue;
        }
        let key = (Arc::as_ptr(&ls.labels) as usize, Arc::as_ptr(&rs.labels) as usize);
        let (metric, metric_hash) = c
            .result
            .entry(key)
            .or_insert_with(|| {
                let ml = result_metric(&ls.labels, &rs.labels, op, m, return_bool);
                let h = ml.stable_hash();
                (Arc::new(ml), h)
            })
            .clone();
        if one_to_one {
            if !matched.insert((sig, 0)) {
                return Err(Error::exec(
                    "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)",
                ));
            }
        } else {
            if !matched.insert((sig, metric_hash)) {
                return Err(Error::exec("multiple matches for labels: grouping labels must ensure unique matches"));
            }
        }
        out.push(Sample { labels: metric, v: value });
    }
    Ok(out)
}

fn result_metric(l: &Labels, r: &Labels, op: Op, m: &Matching, return_bool: bool) -> Labels {
    let mut b = l.builder();
    if op.drops_name() || return_bool {
        b.del(METRIC_NAME);
    }
    if matches!(m.card, VectorMatchCardinality::OneToOne) {
        if m.on {
            b.retain(|x| m.labels.iter().any(|n| *n == x.name));
        } else {
            b.retain(|x| !m.labels.iter().any(|n| *n == x.name));
        }
    }
    for name in &m.include {
        match r.get(name) {
            Some(v) if !v.is_empty() => {
                b.set(name.clone(), v.to_string());
            }
            _ => {
                b.del(name);
            }
        }
    }
    b.build()
}
