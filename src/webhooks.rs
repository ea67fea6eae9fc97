//! Delivering a community's events to the webhooks registered for it.
//!
//! Each endpoint has one delivery loop, which posts the events it wants in
//! the community's order, one at a time: an event is retried, with
//! exponential backoff, until the endpoint answers 2xx, and only then does
//! the next one go. Where it stands (the next revision) and its latest
//! attempts are kept in the store after every attempt, so a restart resumes
//! there: delivery is at least once, and each delivery carries the event's
//! id for the receiver to drop what it already has.
//!
//! Every delivery is signed: `Agora-Signature: v1=<hex>` is the
//! HMAC-SHA256, with the endpoint's secret, of `<Agora-Timestamp>.<body>`,
//! the timestamp in seconds since the epoch; receivers refuse a signature
//! that does not match or a timestamp too old (replays).
//!
//! Requests go only to hosts the deployment allows, and never to loopback,
//! private or link-local addresses unless it says so: names are resolved
//! here and the connection goes to the address checked (no redirect is
//! followed, no proxy used).

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agora_events::{CommunitySlug, Timestamp, WebhookId};
use agora_projections::Webhook;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::WebhookSettings;
use crate::domain::Rejection;
use crate::ledger::{Committed, Ledger, LedgerError};

/// Attempts kept in an endpoint's delivery log.
pub const ATTEMPTS_KEPT: usize = 100;
/// Longest an endpoint has to answer.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// The first retry's wait; each next one waits twice as long, up to
/// [`BACKOFF_MAX`].
pub const BACKOFF_FIRST: Duration = Duration::from_secs(1);
pub const BACKOFF_MAX: Duration = Duration::from_secs(15 * 60);
/// How often the registered endpoints are looked at, to start or stop
/// their loops.
const SUPERVISION_PERIOD: Duration = Duration::from_millis(500);
/// Events read from the log at a time.
const PAGE: usize = 100;

/// Where an endpoint's deliveries stand, kept in the store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// The next revision to look at; `None` until the loop first ran
    /// (it then starts right after the registration).
    pub next: Option<u64>,
    /// Events delivered in all.
    pub delivered: u64,
    /// The latest attempts, newest last.
    pub attempts: VecDeque<Attempt>,
    /// How many times it was saved: stores keep the latest save.
    pub saves: u64,
}

/// One attempt at delivering one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub at: Timestamp,
    pub revision: u64,
    pub event_id: uuid::Uuid,
    pub event_type: String,
    /// 1 for the first attempt at this event.
    pub attempt: u32,
    /// The endpoint's answer, if it answered.
    pub status: Option<u16>,
    /// Why it failed, if it did.
    pub error: Option<String>,
    pub delivered: bool,
    pub millis: u64,
}

/// The store's slot for an endpoint's progress.
fn slot(webhook: WebhookId) -> String {
    format!("webhook-{}", webhook.0)
}

/// The webhooks of every community, and their delivery loops.
pub struct Webhooks {
    ledger: Arc<Ledger>,
    settings: WebhookSettings,
    client: reqwest::Client,
    running: Mutex<HashMap<WebhookId, Running>>,
    closing: watch::Sender<bool>,
}

struct Running {
    task: JoinHandle<()>,
    /// A revision to deliver from again, sent by [`Webhooks::replay`].
    replay: watch::Sender<Option<u64>>,
}

impl Webhooks {
    pub fn new(ledger: Arc<Ledger>, settings: WebhookSettings) -> Arc<Self> {
        let client = reqwest::Client::builder()
            .timeout(DELIVERY_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                internal_addresses: settings.internal_addresses,
            }))
            .user_agent(concat!("agora-ledger/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the webhook client builds");
        Arc::new(Self {
            ledger,
            settings,
            client,
            running: Mutex::new(HashMap::new()),
            closing: watch::channel(false).0,
        })
    }

    /// Checks an endpoint's URL: `http` or `https`, no credentials in it,
    /// and a host the deployment allows.
    pub fn check_url(&self, url: &str) -> Result<(), Rejection> {
        check_url(&self.settings, url)
    }

    /// Starts the loop that keeps one delivery loop per registered
    /// endpoint, if this instance delivers.
    pub fn start(self: &Arc<Self>) -> Option<JoinHandle<()>> {
        if !self.settings.deliver {
            return None;
        }
        let webhooks = Arc::clone(self);
        Some(tokio::spawn(async move {
            let mut closing = webhooks.closing.subscribe();
            loop {
                webhooks.supervise();
                tokio::select! {
                    _ = closing.wait_for(|closing| *closing) => break,
                    () = tokio::time::sleep(SUPERVISION_PERIOD) => {}
                }
            }
            let tasks: Vec<_> = webhooks
                .lock()
                .drain()
                .map(|(_, running)| running.task)
                .collect();
            for task in tasks {
                let _ = task.await;
            }
        }))
    }

    /// Stops every delivery loop (an attempt under way finishes).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<WebhookId, Running>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a loop for each endpoint registered without one, and forgets
    /// the loops that ended (their endpoint was removed).
    fn supervise(self: &Arc<Self>) {
        let mut running = self.lock();
        running.retain(|_, loop_| !loop_.task.is_finished());
        for community in self.ledger.communities() {
            let Some(view) = self.ledger.view(&community) else {
                continue;
            };
            for webhook in view.state.webhooks.values() {
                if running.contains_key(&webhook.id) {
                    continue;
                }
                let (replay, replays) = watch::channel(None);
                let delivery = Delivery {
                    webhooks: Arc::clone(self),
                    community: community.clone(),
                    webhook: webhook.id,
                    replays,
                    closing: self.closing.subscribe(),
                };
                let task = tokio::spawn(delivery.run());
                running.insert(webhook.id, Running { task, replay });
            }
        }
    }

    /// An endpoint's progress, as the store keeps it.
    pub async fn progress(&self, webhook: WebhookId) -> Result<Progress, LedgerError> {
        let saved = self.ledger.store().load_snapshot(&slot(webhook)).await?;
        Ok(saved
            .and_then(|(_, data)| serde_json::from_slice(&data).ok())
            .unwrap_or_default())
    }

    async fn save(&self, webhook: WebhookId, progress: &mut Progress) -> Result<(), LedgerError> {
        progress.saves += 1;
        let data = serde_json::to_vec(progress).expect("progress serializes");
        self.ledger
            .store()
            .save_snapshot(&slot(webhook), progress.saves, data)
            .await?;
        Ok(())
    }

    /// Delivers again from revision `from`: the endpoint's loop goes back
    /// there (or, if none runs here, the next one starts there).
    pub async fn replay(&self, webhook: WebhookId, from: u64) -> Result<(), LedgerError> {
        let mut progress = self.progress(webhook).await?;
        progress.next = Some(from);
        self.save(webhook, &mut progress).await?;
        if let Some(running) = self.lock().get(&webhook) {
            running.replay.send_replace(Some(from));
        }
        Ok(())
    }

    /// The endpoint's signing secret, brought from the store if another
    /// instance registered the endpoint.
    pub async fn secret(&self, webhook: WebhookId) -> Option<[u8; 32]> {
        let owner = agora_events::PioneerId(webhook.0);
        let keys = self.ledger.keys();
        if let Err(error) = keys.fetch(owner).await {
            tracing::warn!(%error, %webhook, "cannot read a webhook's secret");
        }
        keys.key_of(owner).map(|key| *key.bytes())
    }
}

/// One endpoint's delivery loop.
struct Delivery {
    webhooks: Arc<Webhooks>,
    community: CommunitySlug,
    webhook: WebhookId,
    replays: watch::Receiver<Option<u64>>,
    closing: watch::Receiver<bool>,
}

/// Why a loop stops or goes back.
enum Interruption {
    Closing,
    Removed,
    Replay(u64),
}

impl Delivery {
    async fn run(mut self) {
        let mut progress = match self.webhooks.progress(self.webhook).await {
            Ok(progress) => progress,
            Err(error) => {
                tracing::warn!(%error, webhook = %self.webhook, "cannot read the webhook's progress");
                return;
            }
        };
        loop {
            match self.deliver_all(&mut progress).await {
                Ok(()) => {}
                Err(Interruption::Replay(from)) => {
                    // The replay saved the progress last: go on from that save.
                    if let Ok(saved) = self.webhooks.progress(self.webhook).await {
                        progress = saved;
                    }
                    progress.next = Some(from);
                }
                Err(Interruption::Closing | Interruption::Removed) => return,
            }
        }
    }

    /// The endpoint as registered now, if it still is.
    fn webhook(&self) -> Result<(Webhook, u64), Interruption> {
        let view = self
            .webhooks
            .ledger
            .view(&self.community)
            .ok_or(Interruption::Removed)?;
        let webhook = view
            .state
            .webhooks
            .get(&self.webhook)
            .cloned()
            .ok_or(Interruption::Removed)?;
        Ok((webhook, view.revision))
    }

    /// Delivers what the log holds from `progress.next`, waiting for more.
    async fn deliver_all(&mut self, progress: &mut Progress) -> Result<(), Interruption> {
        let (webhook, _) = self.webhook()?;
        let next = match progress.next {
            Some(next) => next,
            None => self.after_registration(&webhook).await?,
        };
        progress.next = Some(next);
        self.wait_for_revision(next).await?;
        let events = self
            .webhooks
            .ledger
            .read_log(&self.community, next, PAGE)
            .await
            .map_err(|error| {
                tracing::warn!(%error, "cannot read the log for a webhook");
                Interruption::Closing
            })?;
        for committed in events {
            let (webhook, _) = self.webhook()?;
            if webhook.wants(&committed.record.event_type) {
                self.deliver(&webhook, &committed, progress).await?;
            }
            progress.next = Some(committed.revision + 1);
        }
        if let Err(error) = self.webhooks.save(self.webhook, progress).await {
            tracing::warn!(%error, "cannot save a webhook's progress");
        }
        Ok(())
    }

    /// The revision right after the event that registered the endpoint.
    async fn after_registration(&self, webhook: &Webhook) -> Result<u64, Interruption> {
        let (_, through) = self.webhook()?;
        let (_, events) = self
            .webhooks
            .ledger
            .history(&self.community, webhook.id.0, through, 0, 1)
            .await
            .map_err(|_| Interruption::Closing)?;
        let registration = events.first().ok_or(Interruption::Removed)?;
        Ok(registration.revision + 1)
    }

    /// Waits until the community records revision `next`.
    async fn wait_for_revision(&mut self, next: u64) -> Result<(), Interruption> {
        let mut updates = self
            .webhooks
            .ledger
            .view_updates(&self.community)
            .ok_or(Interruption::Removed)?;
        let recorded = updates.wait_for(|view| view.as_ref().is_some_and(|v| v.revision >= next));
        let replayed = tokio::select! {
            biased;
            _ = self.closing.wait_for(|closing| *closing) => return Err(Interruption::Closing),
            replay = self.replays.changed() => replay.is_ok(),
            recorded = recorded => {
                return recorded.map(|_| ()).map_err(|_| Interruption::Closing);
            }
        };
        Err(self.replayed(replayed))
    }

    /// The replay asked for, once woken by one (`false`: the sender is gone).
    fn replayed(&mut self, woken: bool) -> Interruption {
        match *self.replays.borrow_and_update() {
            Some(from) if woken => Interruption::Replay(from),
            _ => Interruption::Closing,
        }
    }

    /// Posts one event until the endpoint takes it.
    async fn deliver(
        &mut self,
        webhook: &Webhook,
        committed: &Committed,
        progress: &mut Progress,
    ) -> Result<(), Interruption> {
        let body = payload(&self.community, committed).to_string();
        let mut backoff = BACKOFF_FIRST;
        for attempt in 1.. {
            let secret = self
                .webhooks
                .secret(webhook.id)
                .await
                .ok_or(Interruption::Removed)?;
            let started = Instant::now();
            let outcome = self.post(webhook, &secret, committed, &body).await;
            let (status, error) = match &outcome {
                Ok(status) if (200..300).contains(status) => (Some(*status), None),
                Ok(status) => (Some(*status), Some(format!("answered {status}"))),
                Err(error) => (None, Some(error.clone())),
            };
            let delivered = error.is_none();
            progress.attempts.push_back(Attempt {
                at: Timestamp::new(chrono::Utc::now()),
                revision: committed.revision,
                event_id: committed.record.event_id.0,
                event_type: committed.record.event_type.clone(),
                attempt,
                status,
                error,
                delivered,
                millis: started.elapsed().as_millis() as u64,
            });
            while progress.attempts.len() > ATTEMPTS_KEPT {
                progress.attempts.pop_front();
            }
            if delivered {
                progress.delivered += 1;
                progress.next = Some(committed.revision + 1);
            }
            if let Err(error) = self.webhooks.save(self.webhook, progress).await {
                tracing::warn!(%error, "cannot save a webhook's progress");
            }
            if delivered {
                return Ok(());
            }
            let replayed = tokio::select! {
                biased;
                _ = self.closing.wait_for(|closing| *closing) => return Err(Interruption::Closing),
                replay = self.replays.changed() => Some(replay.is_ok()),
                () = tokio::time::sleep(backoff) => None,
            };
            if let Some(woken) = replayed {
                return Err(self.replayed(woken));
            }
            self.webhook()?;
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
        unreachable!("attempts go on until one is delivered")
    }

    /// One attempt: the endpoint's status, or why it gave none.
    async fn post(
        &self,
        webhook: &Webhook,
        secret: &[u8; 32],
        committed: &Committed,
        body: &str,
    ) -> Result<u16, String> {
        check_url(&self.webhooks.settings, &webhook.url).map_err(|error| error.to_string())?;
        let timestamp = chrono::Utc::now().timestamp();
        let response = self
            .webhooks
            .client
            .post(&webhook.url)
            .header("content-type", "application/json")
            .header("agora-event-id", committed.record.event_id.0.to_string())
            .header("agora-event-type", &committed.record.event_type)
            .header("agora-timestamp", timestamp.to_string())
            .header("agora-signature", signature(secret, timestamp, body))
            .body(body.to_owned())
            .send()
            .await
            .map_err(|error| describe(&error))?;
        Ok(response.status().as_u16())
    }
}

/// `v1=` and the hex HMAC-SHA256 of `<timestamp>.<body>` with `secret`.
pub fn signature(secret: &[u8], timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("v1={hex}")
}

/// What an endpoint receives: the event's id, type, version, community,
/// revision and time, and its data without anything sealed (personal data,
/// sealed votes): nothing personal leaves the ledger this way.
pub fn payload(community: &CommunitySlug, committed: &Committed) -> Value {
    let record = &committed.record;
    let recorded_at = record.metadata.get("recorded_at").cloned();
    serde_json::json!({
        "event_id": record.event_id.0,
        "type": record.event_type,
        "version": record.version,
        "community": community.as_str(),
        "revision": committed.revision,
        "recorded_at": recorded_at,
        "data": unsealed(&record.data),
    })
}

/// `data` without its sealed parts: every object holding a `ciphertext`.
fn unsealed(data: &Value) -> Value {
    match data {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .filter(|(_, value)| !is_sealed(value))
                .map(|(name, value)| (name.clone(), unsealed(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .filter(|v| !is_sealed(v))
                .map(unsealed)
                .collect(),
        ),
        other => other.clone(),
    }
}

fn is_sealed(value: &Value) -> bool {
    value.get("ciphertext").is_some()
}

/// An error said without the URL (already in the log line) and its chain.
fn describe(error: &reqwest::Error) -> String {
    let mut text = if error.is_timeout() {
        "no answer in time".to_owned()
    } else if error.is_connect() {
        "cannot connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Checks a URL against the deployment's webhook settings.
pub fn check_url(settings: &WebhookSettings, url: &str) -> Result<(), Rejection> {
    let refuse = |reason: &str| Rejection::WebhookUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let parsed = reqwest::Url::parse(url).map_err(|_| refuse("not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(refuse("only http and https URLs receive webhooks"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(refuse(
            "a URL with credentials in it is refused: deliveries are signed",
        ));
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| refuse("no host"))?
        .trim_matches(['[', ']'])
        .to_lowercase();
    let allowed = settings
        .hosts
        .iter()
        .any(|pattern| match pattern.strip_prefix("*.") {
            Some(parent) => host.ends_with(&format!(".{parent}")),
            None => *pattern == host || pattern.trim_matches(['[', ']']) == host,
        });
    if !allowed {
        return Err(refuse(
            "this host is not among those the deployment allows webhooks to reach",
        ));
    }
    if let Ok(ip) = host.parse::<IpAddr>()
        && is_internal(ip)
        && !settings.internal_addresses
    {
        return Err(refuse(
            "an internal address (loopback, private, link-local) is refused",
        ));
    }
    Ok(())
}

/// Loopback, private, link-local, shared, unspecified, broadcast or
/// multicast: addresses of the machine or its networks, not the Internet.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// Resolves names, keeping only the addresses deliveries may reach.
struct GuardedResolver {
    internal_addresses: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let internal_addresses = self.internal_addresses;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|address| internal_addresses || !is_internal(address.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!("{host} resolves to no address a webhook may reach").into());
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(hosts: &[&str]) -> WebhookSettings {
        WebhookSettings {
            hosts: hosts.iter().map(|host| (*host).to_owned()).collect(),
            internal_addresses: false,
            deliver: true,
        }
    }

    #[test]
    fn only_allowed_hosts_and_no_internal_address_receive_webhooks() {
        let allowed = settings(&["hooks.example.org", "*.placealacte.fr", "127.0.0.1"]);
        let rule = |url: &str| {
            check_url(&allowed, url)
                .err()
                .map(|error| error.to_string())
        };

        assert_eq!(rule("https://hooks.example.org/agora"), None);
        assert_eq!(rule("https://api.placealacte.fr/in"), None);
        assert!(rule("https://placealacte.fr.evil.example/in").is_some());
        assert!(rule("https://evil.example/in").is_some());
        assert!(rule("ftp://hooks.example.org/").is_some());
        assert!(rule("https://user:pw@hooks.example.org/").is_some());
        assert!(rule("pas une url").is_some());
        // Allowed by name, still internal: refused unless the deployment says.
        assert!(rule("http://127.0.0.1:9000/").unwrap().contains("internal"));
        let internal = WebhookSettings {
            internal_addresses: true,
            ..allowed
        };
        assert!(check_url(&internal, "http://127.0.0.1:9000/").is_ok());
    }

    #[test]
    fn internal_addresses_are_told_from_public_ones() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_internal(internal.parse().unwrap()), "{internal}");
        }
        for public in ["8.8.8.8", "193.51.24.1", "2001:4860:4860::8888"] {
            assert!(!is_internal(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn the_signature_is_the_hmac_of_the_timestamp_and_the_body() {
        // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        let expected: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        assert_eq!(
            expected,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let signed = signature(b"Jefe", 1_700_000_000, "{}");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"1700000000.{}");
        assert!(mac.verify_slice(&hex(&signed[3..])).is_ok());
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|at| u8::from_str_radix(&text[at..at + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn payloads_carry_nothing_sealed() {
        let data = serde_json::json!({
            "pioneer_id": "p",
            "personal": {"algorithm": "x", "nonce": "n", "ciphertext": "c"},
            "profile": {"skills": ["bois"]},
        });
        assert_eq!(
            unsealed(&data),
            serde_json::json!({"pioneer_id": "p", "profile": {"skills": ["bois"]}})
        );
    }
}
