//! The contract suite of the SQL store (accounts and identities, phone binding, refresh-token
//! families), run on SQLite (one test per case) and on PostgreSQL (one throwaway cluster, a
//! fresh database per case), plus SQLite-only checks of the database file.

mod accounts;
mod events;
mod outbox;
mod pg;
mod phone_number;
mod provision;
mod refresh;
mod sso;
mod webhook_endpoints;

use super::*;

pub(super) const HOUR: Duration = Duration::from_secs(3600);

pub(super) async fn memory() -> SqlAccounts {
    SqlAccounts::connect("sqlite::memory:").await.unwrap()
}

/// A store in a fresh database file, with the directory that holds it.
pub(super) async fn on_disk() -> (SqlAccounts, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("saoma.db").display());
    (SqlAccounts::connect(&url).await.unwrap(), dir)
}

pub(super) fn identity(app_id: &str, openid: &str, unionid: Option<&str>) -> NewIdentity {
    NewIdentity {
        provider: Provider::MiniProgram,
        app_id: AppId::parse(app_id).unwrap(),
        openid: OpenId::parse(openid).unwrap(),
        unionid: unionid.map(|u| UnionId::parse(u).unwrap()),
        nickname: None,
        avatar: None,
    }
}

/// A login as the tests make it: admitted (they test refusals through `log_in` itself).
#[async_trait::async_trait]
pub(super) trait FindOrCreate {
    async fn find_or_create(&self, identity: &NewIdentity) -> Result<Account, AccountError>;
}

#[async_trait::async_trait]
impl FindOrCreate for SqlAccounts {
    async fn find_or_create(&self, identity: &NewIdentity) -> Result<Account, AccountError> {
        match self.log_in(identity, &events::details(identity)).await? {
            Admission::Admitted { account, .. } => Ok(account),
            refused => panic!("the login was refused: {refused:?}"),
        }
    }
}

/// Every case of the contract, each an `async fn(SqlAccounts)`.
macro_rules! contract {
    ($($module:ident :: $case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $case() {
                    let (store, _dir) = super::on_disk().await;
                    super::$module::$case(store).await;
                }
            )*
        }

        #[tokio::test]
        async fn postgres_passes_the_whole_contract() {
            let Some(cluster) = pg::PgCluster::start() else {
                return;
            };
            let mut cases = 0;
            $(
                cases += 1;
                let url = cluster.fresh_database(&format!("case{cases}")).await;
                let store = SqlAccounts::connect(&url).await.unwrap();
                $module::$case(store).await;
            )*
            assert!(cases > 0);
        }
    };
}

contract!(
    accounts::same_identity_twice_is_the_same_account,
    accounts::identities_with_the_same_unionid_share_one_account,
    accounts::different_people_get_different_accounts,
    accounts::a_unionid_revealed_later_is_recorded_and_links_later_identities,
    accounts::a_unionid_revealed_later_joins_the_account_that_holds_it,
    accounts::when_both_have_a_phone_the_survivor_keeps_its_own,
    accounts::nickname_and_avatar_are_updated_when_given_and_kept_otherwise,
    accounts::a_filled_in_nickname_is_loaded_with_the_account_and_replaced,
    accounts::an_avatar_is_pending_until_settled_and_the_accepted_one_stays_shown,
    accounts::concurrent_first_logins_of_one_identity_make_one_account,
    accounts::concurrent_first_logins_of_one_person_by_two_apps_make_one_account,
    accounts::get_returns_the_account_with_its_identities,
    accounts::unlinking_an_identity_ends_its_sessions_only,
    events::a_first_login_records_the_account_created_and_the_login,
    events::events_of_one_millisecond_list_in_the_order_they_happened,
    events::concurrent_returning_logins_each_record_their_event_and_delivery,
    events::provisioned_only_refuses_an_unknown_person_and_creates_nothing,
    events::a_disabled_account_is_refused_and_the_refusal_recorded,
    events::a_merge_records_both_ids_on_the_survivor,
    events::events_page_newest_first_by_cursor_and_filter,
    events::search_finds_by_id_openid_and_unionid_newest_first,
    phone_number::a_free_phone_is_bound_and_found,
    phone_number::binding_the_same_phone_again_changes_nothing,
    phone_number::a_phone_of_another_account_links_this_one_into_it,
    phone_number::a_merged_account_brings_its_filled_in_profile_unless_the_survivor_has_one,
    phone_number::binding_to_an_unknown_account_is_refused,
    phone_number::without_unionid_linking_each_identity_has_its_own_account,
    provision::a_provisioned_unionid_is_the_first_logins_account_and_is_taken,
    provision::a_taken_phone_is_refused_and_nothing_is_created,
    refresh::rotation_returns_a_working_token_and_the_subject,
    refresh::a_reused_token_revokes_its_family,
    refresh::concurrent_rotations_of_one_token_have_one_winner,
    refresh::sessions_issued_at_once_are_each_their_own,
    refresh::a_bad_session_in_a_batch_fails_alone,
    refresh::unknown_and_expired_tokens_are_invalid,
    refresh::revoke_kills_the_family_and_ignores_unknown_tokens,
    outbox::an_event_is_queued_for_each_enabled_endpoint_subscribed_to_it,
    outbox::a_claimed_delivery_waits_for_its_lease_and_a_late_outcome_is_ignored,
    outbox::concurrent_workers_never_claim_one_delivery_twice,
    outbox::failures_retry_then_fail_and_stay_redeliverable,
    outbox::a_410_disables_the_endpoint_and_its_deliveries_wait,
    outbox::a_changed_secret_signs_next_to_the_previous_one_for_the_overlap,
    outbox::an_endpoint_no_longer_configured_is_disabled_until_it_is_again,
    sso::a_session_is_found_by_its_cookie_and_named_by_another_sid,
    sso::logout_ends_the_session_with_one_event,
    sso::admin_disable_and_delete_end_every_session_of_the_account,
    sso::expired_sessions_answer_nothing_and_are_swept,
    sso::a_merge_moves_the_sessions_to_the_survivor,
    sso::an_ended_session_is_queued_for_the_logout_uri_of_each_of_its_clients,
    sso::unlinking_an_identity_ends_the_sessions_through_its_app,
    webhook_endpoints::the_delivery_log_pages_through_deliveries_of_one_millisecond,
);

#[tokio::test]
async fn an_in_memory_database_works() {
    let store = memory().await;
    let account = store
        .find_or_create(&identity("wxa", "o1", None))
        .await
        .unwrap();
    assert!(store.get(&account.id).await.unwrap().is_some());
}

#[tokio::test]
async fn an_unknown_database_scheme_is_refused() {
    let result = SqlAccounts::connect("mysql://localhost/saoma").await;
    assert!(matches!(result, Err(AccountError::BadUrl)));
}

/// Two instances starting at once on one fresh SQLite file (a cluster sharing it): both open
/// it, whichever runs the migrations first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_starting_at_once_on_one_fresh_file_both_open_it() {
    for _ in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("saoma.db").display());
        let (a, b) = tokio::join!(SqlAccounts::connect(&url), SqlAccounts::connect(&url));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(
            a.database_id().await.unwrap(),
            b.database_id().await.unwrap()
        );
    }
}
