//! A running service on a random port with its own temporary store, and a
//! client for it.

use std::net::SocketAddr;

use agora::app::Application;
use agora::config::{Config, LogFormat, StoreLocation};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct TestApp {
    pub address: SocketAddr,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    _directory: tempfile::TempDir,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// Sends the shutdown signal and waits for the service to finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap();
        }
    }
}

/// Builds the service on the embedded store in a temporary directory and
/// port 0, and serves it in the background.
pub async fn spawn_app() -> TestApp {
    let directory = tempfile::tempdir().unwrap();
    let config = Config {
        store: StoreLocation::Sqlite(directory.path().join("agora.db")),
        listen: "127.0.0.1:0".parse().unwrap(),
        log_format: LogFormat::Text,
        log: "warn".into(),
    };
    let application = Application::build(&config).await.unwrap();
    let address = application.address();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        application
            .run_until_stopped(async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    TestApp {
        address,
        client: reqwest::Client::new(),
        stop: Some(stop),
        server: Some(server),
        _directory: directory,
    }
}
