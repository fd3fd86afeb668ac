//! Placeholder until its tests land.
