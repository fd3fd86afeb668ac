//! latch's own pages for the people and machines that run it: the home page at `/`, and
//! `/healthz` and `/readyz` for load balancers and orchestrators.

mod health;
mod home;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use super::AppState;
use crate::config::Config;

#[derive(Clone)]
struct OpsState {
    app: AppState,
    home: Arc<home::Home>,
}

pub fn router(state: &AppState, config: &Config) -> Router {
    Router::new()
        .route("/", get(home::home))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .with_state(OpsState {
            app: state.clone(),
            home: Arc::new(home::Home::new(config)),
        })
}
