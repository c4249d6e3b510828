//! HTTP server (in progress).
