//! Sample encodings (placeholder until the codec lands).
