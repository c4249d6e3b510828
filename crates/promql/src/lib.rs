//! PromQL engine (placeholder until the engine lands).
