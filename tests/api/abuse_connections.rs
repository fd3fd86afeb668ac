//! One client address cannot hold every connection slot: past
//! `http.max_connections_per_ip` its new connections are closed at once, while its open ones
//! and other clients are served as usual.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::{TestApp, spawn_app_with};

const REQUEST: &[u8] = b"GET /user/login_status?_format=json HTTP/1.1\r\nHost: localhost\r\n\r\n";

/// A raw connection to the server from `127.0.0.<last_octet>`.
async fn connect_from(app: &TestApp, last_octet: u8) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    let local = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last_octet)), 0);
    socket.bind(local).unwrap();
    let server = SocketAddr::from(([127, 0, 0, 1], app.port));
    socket.connect(server).await.unwrap()
}

/// Whether the connection answers a request with 200; false if the server closed it.
async fn answers(stream: &mut TcpStream) -> bool {
    if stream.write_all(REQUEST).await.is_err() {
        return false;
    }
    let mut buffer = vec![0u8; 4096];
    match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buffer)).await {
        Ok(Ok(n)) if n > 0 => buffer[..n].starts_with(b"HTTP/1.1 200"),
        Ok(_) => false,
        Err(_) => panic!("neither an answer nor a close within 5 s"),
    }
}

#[tokio::test]
async fn a_connection_past_the_per_ip_cap_is_closed_and_a_closed_one_frees_its_place() {
    let app = spawn_app_with(|c| c.http.max_connections_per_ip = 3).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect_from(&app, 1).await);
    }
    // The server accepts in order, so the fourth comes after the three are counted.
    let mut extra = connect_from(&app, 1).await;
    assert!(!answers(&mut extra).await, "a fourth connection was served");
    for stream in &mut held {
        assert!(answers(stream).await, "a held connection stopped working");
    }
    // Another address has its own share.
    let mut other = connect_from(&app, 2).await;
    assert!(answers(&mut other).await);

    drop(held.pop());
    let mut freed = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut again = connect_from(&app, 1).await;
        if answers(&mut again).await {
            freed = true;
            break;
        }
    }
    assert!(freed, "closing a connection did not free its place");
    for stream in &mut held {
        assert!(answers(stream).await);
    }
}
