use super::*;
use crate::accounts::rows::hash_token;
use std::sync::Arc;

async fn account(store: &SqlAccounts) -> String {
    store
        .find_or_create(&identity("wxa", "o1", None))
        .await
        .unwrap()
        .id
}

fn app() -> AppId {
    AppId::parse("wxa").unwrap()
}

pub(super) async fn rotation_returns_a_working_token_and_the_subject(store: SqlAccounts) {
    let account_id = account(&store).await;
    let issued = store
        .issue(&account_id, Provider::Website, &app(), HOUR)
        .await
        .unwrap();

    let (rotated, subject) = store.rotate(&issued.token, HOUR).await.unwrap();

    assert_ne!(rotated.token, issued.token);
    assert_eq!(subject.account_id, account_id);
    assert_eq!(subject.provider, Provider::Website);
    assert_eq!(subject.app_id, app());
    assert!(store.rotate(&rotated.token, HOUR).await.is_ok());
}

pub(super) async fn a_reused_token_revokes_its_family(store: SqlAccounts) {
    let account_id = account(&store).await;
    let issued = store
        .issue(&account_id, Provider::MiniProgram, &app(), HOUR)
        .await
        .unwrap();
    let (newest, _) = store.rotate(&issued.token, HOUR).await.unwrap();

    let reused = store.rotate(&issued.token, HOUR).await;

    assert!(matches!(reused, Err(AccountError::RefreshReused)));
    let newest = store.rotate(&newest.token, HOUR).await;
    assert!(matches!(newest, Err(AccountError::RefreshInvalid)));
}

pub(super) async fn concurrent_rotations_of_one_token_have_one_winner(store: SqlAccounts) {
    let store = Arc::new(store);
    let account_id = account(&store).await;
    let issued = store
        .issue(&account_id, Provider::MiniProgram, &app(), HOUR)
        .await
        .unwrap();

    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (store, token) = (store.clone(), issued.token.clone());
            tokio::spawn(async move { store.rotate(&token, HOUR).await })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        if let Ok((rotated, _)) = task.await.unwrap() {
            winners.push(rotated);
        }
    }

    assert_eq!(winners.len(), 1);
    // The losers replayed a used token: the winner's session is revoked too.
    let after = store.rotate(&winners[0].token, HOUR).await;
    assert!(matches!(after, Err(AccountError::RefreshInvalid)));
}

/// Many logins at once are written together (one transaction for all that queued up): each
/// gets its own session, and each session works.
pub(super) async fn sessions_issued_at_once_are_each_their_own(store: SqlAccounts) {
    let store = Arc::new(store);
    let account_id = account(&store).await;
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let (store, account_id) = (store.clone(), account_id.clone());
            tokio::spawn(async move {
                store
                    .issue(&account_id, Provider::MiniProgram, &app(), HOUR)
                    .await
            })
        })
        .collect();
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await.unwrap().unwrap().token);
    }
    let distinct: std::collections::HashSet<_> = tokens.iter().map(|t| t.expose()).collect();
    assert_eq!(distinct.len(), 40);
    let mut rotated = Vec::new();
    for token in &tokens {
        let (next, subject) = store.rotate(token, HOUR).await.unwrap();
        assert_eq!(subject.account_id, account_id);
        rotated.push(next.token);
    }
    // Each is its own family: replaying one revokes that session only.
    let replayed = store.rotate(&tokens[0], HOUR).await;
    assert!(matches!(replayed, Err(AccountError::RefreshReused)));
    assert!(store.rotate(&rotated[0], HOUR).await.is_err());
    assert!(store.rotate(&rotated[1], HOUR).await.is_ok());
}

/// A session for an account that no longer exists (merged away) fails its own login only,
/// even when it was written together with others.
pub(super) async fn a_bad_session_in_a_batch_fails_alone(store: SqlAccounts) {
    let store = Arc::new(store);
    let account_id = account(&store).await;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            let owner = if i == 7 {
                "gone".to_string()
            } else {
                account_id.clone()
            };
            tokio::spawn(async move {
                store
                    .issue(&owner, Provider::MiniProgram, &app(), HOUR)
                    .await
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    for (i, result) in results.into_iter().enumerate() {
        if i == 7 {
            assert!(matches!(result, Err(AccountError::Database(_))));
        } else {
            let token = result.unwrap().token;
            assert!(store.rotate(&token, HOUR).await.is_ok());
        }
    }
}

pub(super) async fn unknown_and_expired_tokens_are_invalid(store: SqlAccounts) {
    let account_id = account(&store).await;
    let expired = store
        .issue(&account_id, Provider::MiniProgram, &app(), Duration::ZERO)
        .await
        .unwrap();

    let unknown = store.rotate(&Secret::new("nope"), HOUR).await;
    let late = store.rotate(&expired.token, HOUR).await;

    assert!(matches!(unknown, Err(AccountError::RefreshInvalid)));
    assert!(matches!(late, Err(AccountError::RefreshInvalid)));
}

pub(super) async fn revoke_kills_the_family_and_ignores_unknown_tokens(store: SqlAccounts) {
    let account_id = account(&store).await;
    let issued = store
        .issue(&account_id, Provider::MiniProgram, &app(), HOUR)
        .await
        .unwrap();
    let (newest, _) = store.rotate(&issued.token, HOUR).await.unwrap();

    store.revoke(&issued.token).await.unwrap();
    store.revoke(&Secret::new("unknown")).await.unwrap();

    let after = store.rotate(&newest.token, HOUR).await;
    assert!(matches!(after, Err(AccountError::RefreshInvalid)));
}

#[tokio::test]
async fn the_database_never_holds_a_plain_token() {
    let (store, dir) = on_disk().await;
    let account_id = account(&store).await;
    let issued = store
        .issue(&account_id, Provider::MiniProgram, &app(), HOUR)
        .await
        .unwrap();
    let (rotated, _) = store.rotate(&issued.token, HOUR).await.unwrap();

    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }

    for token in [&issued.token, &rotated.token] {
        assert_eq!(token.expose().len(), 43);
        let plain = token.expose().as_bytes();
        assert!(!bytes.windows(plain.len()).any(|w| w == plain));
        let hash = hash_token(token);
        assert!(bytes.windows(hash.len()).any(|w| w == hash.as_bytes()));
    }
    assert!(!format!("{issued:?}").contains(issued.token.expose()));
}
