//! One integration binary: every test starts a real server on a loopback port.

#[allow(dead_code)]
mod helpers;

mod abuse_admission;
mod abuse_audit;
mod abuse_connections;
mod abuse_enumeration;
mod abuse_flood;
mod abuse_http;
mod abuse_lockout;
mod abuse_parsers;
mod abuse_passwords;
mod abuse_reauth;
mod abuse_reset;
mod account_names;
mod account_races;
mod admin_access;
mod admin_actions;
mod admin_browser;
mod admin_mfa;
mod admin_support;
mod audit_bounds;
mod bad_input;
mod cli;
mod cli_config;
mod cluster;
mod copy;
mod differential;
mod differential_reference;
mod django_browser;
mod django_conformance;
mod django_csrf;
mod django_differential;
mod django_login;
mod django_page;
mod django_rest;
#[allow(dead_code)]
mod django_support;
mod drupal_conformance;
mod drupal_login;
mod drupal_logout_page;
mod drupal_register;
mod drupal_session;
mod drupal_user;
mod fuzz_http;
mod import;
mod import_databases;
mod import_exports;
mod import_sources;
mod laravel_clients;
mod laravel_flows;
mod laravel_sanctum;
mod laravel_support;
mod legacy_django;
mod legacy_drupal;
#[allow(dead_code)]
mod legacy_support;
mod logs;
mod mail_delivery;
mod mail_flows;
mod mail_sink;
mod mail_tls;
mod mfa_dialects;
mod mfa_login;
mod mfa_passkeys;
mod mfa_passkeys_browser;
#[allow(dead_code)]
mod mfa_support;
mod mfa_totp;
mod native_nginx;
#[allow(dead_code)]
mod native_support;
mod native_token;
mod native_verify;
mod native_whoami;
mod openapi;
mod openapi_contract;
mod ops_health;
mod ops_home;
mod ops_metrics;
mod ops_request_ids;
mod ops_startup;
mod passwords;
mod platformos_apps;
mod platformos_sessions;
#[allow(dead_code)]
mod platformos_support;
mod platformos_users;
mod process;
mod races;
mod real_clients;
mod real_clients_browser;
mod secret;
mod self_service;
mod services_conformance;
mod services_errors;
mod services_interop;
mod services_query_paths;
mod services_seeds;
#[allow(dead_code)]
mod services_support;
mod session_cache;
mod session_cookies;
mod storage;
mod webhooks;
