//! Storage engine (in progress).
