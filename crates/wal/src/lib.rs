//! Write-ahead log (placeholder until the log lands).
