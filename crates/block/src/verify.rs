//! [`Block::verify`]: a full walk of a block for `argus tsdb analyze` and
//! startup checks. Open already checked checksums and the in-memory tables;
//! this decodes every series entry and postings list and checks every run's
//! checksum, and cross-checks postings against series labels.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use argus_model::Labels;

use crate::error::{Error, Result};
use crate::reader::Block;

/// What [`Block::verify`] walked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Series decoded.
    pub series: u64,
    /// Runs whose checksum was checked.
    pub runs: u64,
    /// Samples counted from run metas.
    pub samples: u64,
    /// Postings entries decoded.
    pub postings: u64,
}

impl Block {
    /// Walks every series entry, run and postings list and returns the first
    /// corruption as [`Error::Corrupt`] naming the file and offset. Reads the
    /// whole block: seconds for large blocks.
    pub fn verify(&self) -> Result<VerifyReport> {
        let mut rep = VerifyReport::default();
        let mut prev: Option<Labels> = None;
        // Per series, how many of its labels the postings lists must still account for.
        let mut label_counts: Vec<u32> = Vec::with_capacity(self.num_series() as usize);
        let mut end = crate::format::HEADER_LEN as u64;
        for item in self.series_iter() {
            let (id, ls, runs) = item?;
            if prev.as_ref().is_some_and(|p| p >= &ls) {
                return Err(self.corrupt(0, format!("series {} is not in label order", id.0)));
            }
            for r in &runs {
                self.run_bytes(r)?;
                if r.offset != end {
                    return Err(Error::Corrupt {
                        path: self.chunks_path.clone(),
                        offset: r.offset,
                        what: format!("run of series {} does not follow the previous run", id.0),
                    });
                }
                end = r.offset + u64::from(r.len) + crate::format::RUN_CRC_LEN;
                rep.runs += 1;
                rep.samples += u64::from(r.num_samples);
            }
            label_counts.push(ls.len() as u32);
            prev = Some(ls);
            rep.series += 1;
        }
        if end != self.footer.chunks_len {
            return Err(Error::Corrupt {
                path: self.chunks_path.clone(),
                offset: end,
                what: "bytes after the last run".into(),
            });
        }
        if rep.samples != self.meta.stats.num_samples || rep.runs != self.meta.stats.num_runs {
            return Err(self.corrupt(0, "sample or run count differs from meta.json"));
        }
        let mut list = Vec::new();
        for v in &self.values {
            list.clear();
            self.postings_of(v, &mut list)?;
            for &id in &list {
                let c = label_counts
                    .get_mut(id as usize)
                    .ok_or_else(|| self.corrupt(v.postings.start as u64, "postings ID out of range"))?;
                *c = c.checked_sub(1).ok_or_else(|| {
                    self.corrupt(v.postings.start as u64, "series listed in more postings than it has labels")
                })?;
            }
            rep.postings += list.len() as u64;
        }
        if let Some(id) = label_counts.iter().position(|&c| c != 0) {
            return Err(self.corrupt(0, format!("series {id} is missing from some postings lists")));
        }
        Ok(rep)
    }
}
