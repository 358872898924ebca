//! Kite's login page, simulated: `/connect/login?api_key=…&v=3` redirects to the configured
//! redirect URL with `request_token`, `action=login` and `status=success` — at once with
//! auto-login, after a one-button page otherwise. `redirect_params` come back as Kite returns
//! them: decoded and appended to the redirect's query.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::super::SimState;
use super::params::Params;
use kite_connect::common::urls::urlencode;

pub(super) async fn page(State(sim): State<Arc<SimState>>, RawQuery(query): RawQuery) -> Response {
    let query = Params::parse(query.unwrap_or_default().as_bytes());
    if query.get("api_key") != Some(sim.auth.api_key.as_str()) {
        return (
            StatusCode::BAD_REQUEST,
            Html("<h1>Invalid api_key</h1><p>The app sent an api_key this simulator does not know.</p>"),
        )
            .into_response();
    }
    let redirect_params = query.get("redirect_params").unwrap_or("").to_owned();
    if sim.login.auto_login {
        return finish(&sim, &redirect_params);
    }
    Html(format!(
        "<!doctype html><html><head><meta name=viewport content=\"width=device-width\"><title>Kite simulator login</title></head>\
         <body style=\"font-family:sans-serif;max-width:28rem;margin:3rem auto\"><h1>Kite simulator</h1>\
         <p>Log in as the demo user <b>{user}</b>. No password: this is a simulator.</p>\
         <form method=post action=\"/connect/login/approve\">\
         <input type=hidden name=api_key value=\"{key}\"><input type=hidden name=redirect_params value=\"{params}\">\
         <button type=submit style=\"font-size:1.2rem;padding:.6rem 1.2rem\">Log in</button></form></body></html>",
        user = html_escape(sim.broker.user_id()),
        key = html_escape(&sim.auth.api_key),
        params = html_escape(&redirect_params),
    ))
    .into_response()
}

pub(super) async fn approve(State(sim): State<Arc<SimState>>, body: Bytes) -> Response {
    let form = Params::parse(&body);
    if form.get("api_key") != Some(sim.auth.api_key.as_str()) {
        return (StatusCode::BAD_REQUEST, Html("<h1>Invalid api_key</h1>")).into_response();
    }
    finish(&sim, form.get("redirect_params").unwrap_or(""))
}

fn finish(sim: &SimState, redirect_params: &str) -> Response {
    let request_token = sim.auth.issue_request_token();
    let redirect = sim
        .login
        .redirect_url
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let Some(redirect) = redirect else {
        return Html(format!(
            "<h1>Logged in</h1><p>No redirect URL is configured. request_token: <code>{request_token}</code></p>"
        ))
        .into_response();
    };
    let separator = if redirect.contains('?') { '&' } else { '?' };
    let mut url = format!(
        "{redirect}{separator}action=login&type=login&status=success&request_token={}",
        urlencode(&request_token)
    );
    if !redirect_params.is_empty() {
        // Re-encoded pair by pair, so the app's state cannot break the redirect's query.
        let pairs = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form_urlencoded::parse(redirect_params.as_bytes()))
            .finish();
        url.push('&');
        url.push_str(&pairs);
    }
    Redirect::to(&url).into_response()
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
