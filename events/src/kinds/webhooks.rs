//! Webhooks: endpoints of other tools (the community's platform, a
//! newsletter…) that receive the community's events as they are recorded.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::WebhookId;

/// An operator registered an endpoint to receive the community's events.
/// Its signing secret is kept apart from the log, like personal-data keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookRegistered {
    pub webhook_id: WebhookId,
    /// Where deliveries are posted (`https://…`).
    pub url: String,
    /// The event types delivered; every type when empty.
    pub event_types: Vec<String>,
    /// What it is for, in words.
    pub description: String,
}

/// An operator removed an endpoint: nothing more is delivered to it, and
/// its secret is destroyed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookRemoved {
    pub webhook_id: WebhookId,
}
