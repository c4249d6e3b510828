//! Backfill (pending the OpenMetrics reader).
