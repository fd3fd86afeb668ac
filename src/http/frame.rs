//! What happens around every handler of a dialect, or of latch's own API, as one layer: the
//! dialect is noted on the request (sessions it opens record it), the dialect's screen may
//! answer first (oversized headers, cross-site posts), and the route template and dialect
//! are noted on the response for the request log and metrics.
//!
//! It is written out as a tower service rather than three `from_fn` middlewares because the
//! session check is cheap enough for their cost to show: every `Router::layer` nests another
//! boxed route that each request clones, and each `from_fn` clones its inner route again and
//! boxes a future. One layer per route does it with one clone and no allocation of its own.

use std::convert::Infallible;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::extract::{MatchedPath, Request};
use axum::response::Response;
use futures_util::future::Either;
use pin_project_lite::pin_project;
use tower::{Layer, Service};

use super::observe::Answered;
use super::{AppState, ServedBy, SharedState};

/// What a dialect does to each request before its handlers see it, and to each answer.
#[derive(Clone, Copy)]
pub struct Screen {
    /// Answers, in the dialect's shape, a request no handler should see.
    pub refuse: fn(&SharedState, &Request) -> Option<Response>,
    /// Adjusts every answer, refusals included.
    pub finish: fn(&mut Response),
}

impl Screen {
    /// Lets everything through unchanged.
    pub const NONE: Screen = Screen {
        refuse: |_, _| None,
        finish: |_| {},
    };
}

/// The layer, for one dialect's routes (or, without a dialect, latch's own).
#[derive(Clone)]
pub struct Frame {
    state: AppState,
    dialect: Option<&'static str>,
    screen: Screen,
}

impl Frame {
    pub fn dialect(state: &AppState, name: &'static str, screen: Screen) -> Self {
        Self {
            state: state.clone(),
            dialect: Some(name),
            screen,
        }
    }

    /// For latch's own routes: no dialect, nothing screened.
    pub fn own(state: &AppState) -> Self {
        Self {
            state: state.clone(),
            dialect: None,
            screen: Screen::NONE,
        }
    }
}

impl<S> Layer<S> for Frame {
    type Service = Framed<S>;

    fn layer(&self, inner: S) -> Framed<S> {
        Framed {
            inner,
            frame: self.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Framed<S> {
    inner: S,
    frame: Frame,
}

impl<S> Service<Request> for Framed<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = FramedAnswer<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let Frame {
            ref state,
            dialect,
            screen,
        } = self.frame;
        if let Some(name) = dialect {
            request.extensions_mut().insert(ServedBy(name));
        }
        let answered = Answered {
            route: request.extensions().get::<MatchedPath>().cloned(),
            dialect,
        };
        let answer = match (screen.refuse)(state, &request) {
            Some(refusal) => Either::Right(ready(Ok(refusal))),
            None => Either::Left(self.inner.call(request)),
        };
        FramedAnswer {
            answer,
            answered: Some(answered),
            finish: screen.finish,
        }
    }
}

pin_project! {
    /// The handler's answer (or the screen's refusal), finished and noted once ready.
    pub struct FramedAnswer<F> {
        #[pin]
        answer: Either<F, Ready<Result<Response, Infallible>>>,
        answered: Option<Answered>,
        finish: fn(&mut Response),
    }
}

impl<F> Future for FramedAnswer<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Ok(mut response) = ready!(this.answer.poll(cx));
        (this.finish)(&mut response);
        if let Some(answered) = this.answered.take() {
            response.extensions_mut().insert(answered);
        }
        Poll::Ready(Ok(response))
    }
}
