//! Webhooks: operators register the endpoints that receive the community's
//! events, and remove them. Where an endpoint may be (the hosts the
//! deployment allows) is checked at the edge; these rules keep the
//! registrations themselves sound.

use std::collections::BTreeSet;

use agora_events::{Event, WebhookId, WebhookRegistered, WebhookRemoved};
use agora_projections::CommunityState;

use super::Rejection;
use super::text::{NAME_CHARS_MAX, line};

/// Most endpoints one community may have.
pub const WEBHOOKS_MAX: usize = 20;
/// Longest endpoint URL.
pub const WEBHOOK_URL_CHARS_MAX: usize = 2_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterWebhook {
    pub webhook_id: WebhookId,
    pub url: String,
    pub event_types: Vec<String>,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveWebhook {
    pub webhook_id: WebhookId,
}

pub fn register(
    state: &CommunityState,
    command: &RegisterWebhook,
) -> Result<Vec<Event>, Rejection> {
    line("url", &command.url, WEBHOOK_URL_CHARS_MAX)?;
    line("description", &command.description, NAME_CHARS_MAX)?;
    if state.webhooks.len() >= WEBHOOKS_MAX {
        return Err(Rejection::TooManyItems {
            field: "webhooks",
            max: WEBHOOKS_MAX,
        });
    }
    if state
        .webhooks
        .values()
        .any(|webhook| webhook.url == command.url)
    {
        return Err(Rejection::WebhookRegistered {
            url: command.url.clone(),
        });
    }
    let mut seen = BTreeSet::new();
    for event_type in &command.event_types {
        if agora_events::current_version(event_type).is_none() || !seen.insert(event_type) {
            return Err(Rejection::WebhookEventType {
                event_type: event_type.clone(),
            });
        }
    }
    Ok(vec![
        WebhookRegistered {
            webhook_id: command.webhook_id,
            url: command.url.clone(),
            event_types: command.event_types.clone(),
            description: command.description.clone(),
        }
        .into(),
    ])
}

pub fn remove(state: &CommunityState, command: &RemoveWebhook) -> Result<Vec<Event>, Rejection> {
    if !state.webhooks.contains_key(&command.webhook_id) {
        return Err(Rejection::WebhookNotFound {
            webhook: command.webhook_id,
        });
    }
    Ok(vec![
        WebhookRemoved {
            webhook_id: command.webhook_id,
        }
        .into(),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::given::*;
    use super::*;
    use uuid::Uuid;

    fn register(url: &str, types: &[&str]) -> Command {
        Command::RegisterWebhook(RegisterWebhook {
            webhook_id: WebhookId(Uuid::new_v4()),
            url: url.into(),
            event_types: types.iter().map(|t| (*t).to_owned()).collect(),
            description: "Place à l'acte".into(),
        })
    }

    #[test]
    fn an_endpoint_is_registered_once_for_known_event_types_and_removed() {
        let mut history = community_of_three();
        let events = given(&history)
            .when(register(
                "https://hooks.example.org/agora",
                &["ExchangeConfirmed"],
            ))
            .then_events(&["WebhookRegistered"]);
        history.extend(events.clone());
        let Event::WebhookRegistered(registered) = &events[0] else {
            unreachable!()
        };

        given(&history)
            .when(register("https://hooks.example.org/agora", &[]))
            .then_rule("webhook-registered");
        given(&history)
            .when(register("https://autre.example.org", &["Bavardage"]))
            .then_rule("webhook-event-type");
        given(&history)
            .when(register(
                "https://autre.example.org",
                &["VoteCast", "VoteCast"],
            ))
            .then_rule("webhook-event-type");
        let remove = Command::RemoveWebhook(RemoveWebhook {
            webhook_id: registered.webhook_id,
        });
        history.extend(
            given(&history)
                .when(remove.clone())
                .then_events(&["WebhookRemoved"]),
        );
        assert!(given(&history).state().webhooks.is_empty());
        given(&history).when(remove).then_rule("webhook-not-found");
    }
}
