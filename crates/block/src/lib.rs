//! Block format (placeholder until the format lands).
