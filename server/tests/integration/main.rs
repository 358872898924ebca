//! Integration tests: the real server on a loopback port with a fresh database (SQLite in a
//! temporary directory, or a fresh database on the throwaway PostgreSQL the test command starts).

mod helpers;

mod account;
mod accounts;
mod alerts;
mod bus;
mod bus_tls;
mod cluster;
mod config_cli;
mod crate_graph;
mod disk;
mod executor;
mod http;
mod kite_account;
mod kite_alerts;
mod kite_alerts_kill_switch;
mod kite_connection;
mod kite_rest;
mod kite_ticker;
mod level_store;
mod levels;
mod levels_csv;
mod migrations;
mod operations;
mod orders;
mod own_postgres;
mod paper;
mod postgres;
mod price_stream;
mod processes;
mod protection;
mod repositories;
mod risk;
mod scale_out;
mod security;
mod sigkill;
mod site_bundle;
mod soak;
mod storm;
mod trades;
mod webhooks;
