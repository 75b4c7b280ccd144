//! Members and invitation links on both backends: the role list with its
//! sources, changing a role set by hand, removing, removing access until
//! invited again, the last-admin rule, and every state of a link.

use app::db_test;
use app::domain::discord::roles::Grant;
use app::domain::test_support::{count, Fixture};
use app::domain::{invitations, members, memberships, Arg, Clock, Db};
use app::error::AppError;
use app::model::members::{InvitationRequest, InvitationStatus};
use app::model::Role;
use chrono::Duration;

fn invite(role: Role, days: i64, single_use: bool) -> InvitationRequest {
    InvitationRequest {
        role,
        days,
        single_use,
    }
}

fn token_of(path: &str) -> &str {
    path.strip_prefix("/invite/").expect("an invitation path")
}

async fn role_in(fx: &Fixture, guild: &str, user_id: i64) -> Option<Role> {
    let n = count(
        fx.db(),
        "SELECT COUNT(*) FROM memberships m JOIN guilds g ON g.id = m.guild_id WHERE g.slug = $1 AND m.user_id = $2",
        vec![Arg::Text(guild.into()), Arg::Int(user_id)],
    )
    .await;
    if n == 0 {
        return None;
    }
    let scope = app::domain::GuildScope::for_user_in(
        fx.db(),
        user_id,
        count(
            fx.db(),
            "SELECT id FROM guilds WHERE slug = $1",
            vec![Arg::Text(guild.into())],
        )
        .await,
    )
    .await
    .ok()?;
    Some(scope.role())
}

db_test!(
    the_member_list_says_where_each_role_comes_from,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let admin = fx.scope(&fx.admin, "alpha").await;
        // Discord makes the viewer an editor; the admin's hand-set role stays higher.
        let alpha = admin.guild_id();
        let mut tx = fx.db().begin_write().await.unwrap();
        let grant = Grant {
            role: Role::Editor,
            reason: "Discord role Moderators".into(),
        };
        memberships::set_discord(&mut tx, fx.clock.now(), alpha, fx.viewer.id, Some(&grant))
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let page = members::page(fx.db(), &admin).await.unwrap();
        let by_name = |name: &str| {
            page.members
                .iter()
                .find(|m| m.username == name)
                .unwrap()
                .clone()
        };
        assert_eq!(page.members[0].username, "admin", "admins first");
        assert!(page.members[0].is_you);
        let viewer = by_name("viewer");
        assert_eq!(viewer.role, Role::Editor);
        assert_eq!(viewer.source, "Discord role Moderators");
        assert_eq!(viewer.manual_role, Some(Role::Viewer));
        assert_eq!(by_name("editor").source, "Set by an admin");

        let editor = fx.scope(&fx.editor, "alpha").await;
        let refused = members::page(fx.db(), &editor).await.unwrap_err();
        assert_eq!(
            refused,
            AppError::forbidden("Only a guild admin can manage members; you are an editor.")
        );
    }
);

db_test!(
    an_admin_changes_a_hand_set_role_and_it_is_audited,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let admin = fx.scope(&fx.admin, "alpha").await;
        members::set_role(
            fx.db(),
            &fx.state.clock,
            &admin,
            fx.viewer.id,
            Some(Role::Editor),
        )
        .await
        .unwrap();
        assert_eq!(
            role_in(&fx, "alpha", fx.viewer.id).await,
            Some(Role::Editor)
        );
        assert_eq!(
            count(
                fx.db(),
                "SELECT COUNT(*) FROM audit_log WHERE action = 'member' AND summary = $1",
                vec![Arg::Text(
                    "Changed the role of viewer (@viewer) from viewer to editor".into()
                )],
            )
            .await,
            1
        );
        // Cleared with no Discord role to fall back to: the member leaves.
        members::set_role(fx.db(), &fx.state.clock, &admin, fx.viewer.id, None)
            .await
            .unwrap();
        assert_eq!(role_in(&fx, "alpha", fx.viewer.id).await, None);
        // Someone of another guild is not a member here.
        let err = members::set_role(
            fx.db(),
            &fx.state.clock,
            &admin,
            fx.outsider.id,
            Some(Role::Viewer),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, AppError::NotFound(_)), "{err:?}");
    }
);

db_test!(
    the_last_admin_cannot_demote_or_remove_themselves,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let admin = fx.scope(&fx.admin, "alpha").await;
        let sentence = "A guild needs at least one admin, and this would leave none. Make another member an admin first.";
        let demote = members::set_role(
            fx.db(),
            &fx.state.clock,
            &admin,
            fx.admin.id,
            Some(Role::Editor),
        )
        .await
        .unwrap_err();
        assert_eq!(demote, AppError::invalid(sentence));
        let remove = members::remove(fx.db(), &fx.state.clock, &admin, fx.admin.id, false)
            .await
            .unwrap_err();
        assert_eq!(remove, AppError::invalid(sentence));
        assert_eq!(
            role_in(&fx, "alpha", fx.admin.id).await,
            Some(Role::Admin),
            "nothing changed"
        );

        // With a second admin, the first may step down.
        members::set_role(
            fx.db(),
            &fx.state.clock,
            &admin,
            fx.editor.id,
            Some(Role::Admin),
        )
        .await
        .unwrap();
        members::set_role(
            fx.db(),
            &fx.state.clock,
            &admin,
            fx.admin.id,
            Some(Role::Editor),
        )
        .await
        .unwrap();
        assert_eq!(role_in(&fx, "alpha", fx.admin.id).await, Some(Role::Editor));
    }
);

db_test!(
    removed_access_keeps_discord_out_until_an_invitation_is_redeemed,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let admin = fx.scope(&fx.admin, "alpha").await;
        let alpha = admin.guild_id();
        members::remove(fx.db(), &fx.state.clock, &admin, fx.viewer.id, true)
            .await
            .unwrap();
        assert_eq!(role_in(&fx, "alpha", fx.viewer.id).await, None);
        assert_eq!(
            members::page(fx.db(), &admin).await.unwrap().removed.len(),
            1
        );

        // Discord's rules would admit them: they stay out.
        let grant = Grant {
            role: Role::Viewer,
            reason: "Discord: member of the server".into(),
        };
        let mut tx = fx.db().begin_write().await.unwrap();
        memberships::set_discord(&mut tx, fx.clock.now(), alpha, fx.viewer.id, Some(&grant))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(role_in(&fx, "alpha", fx.viewer.id).await, None);

        let link = invitations::create(
            fx.db(),
            &fx.state.clock,
            &admin,
            &invite(Role::Editor, 7, true),
        )
        .await
        .unwrap();
        let joined =
            invitations::redeem(fx.db(), &fx.state.clock, &fx.viewer, token_of(&link.path))
                .await
                .unwrap();
        assert_eq!(
            (joined.guild_slug.as_str(), joined.role),
            ("alpha", Role::Editor)
        );
        assert_eq!(
            role_in(&fx, "alpha", fx.viewer.id).await,
            Some(Role::Editor)
        );
        assert!(members::page(fx.db(), &admin)
            .await
            .unwrap()
            .removed
            .is_empty());
    }
);

db_test!(
    an_invitation_link_is_shown_once_stored_hashed_and_says_why_it_stopped_working,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let admin = fx.scope(&fx.admin, "alpha").await;
        let clock = &fx.state.clock;
        let single = invitations::create(fx.db(), clock, &admin, &invite(Role::Editor, 1, true))
            .await
            .unwrap();
        let token = token_of(&single.path).to_string();
        assert_eq!(token.len(), 64);
        assert_eq!(
            count(
                fx.db(),
                "SELECT COUNT(*) FROM invitations WHERE token_hash = $1",
                vec![Arg::Text(token.clone())]
            )
            .await,
            0,
            "the token itself is not stored"
        );

        // The outsider (of guild beta) redeems it once; the second try is refused.
        let preview = invitations::preview(fx.db(), clock, Some(&fx.outsider), &token)
            .await
            .unwrap();
        assert_eq!(
            (preview.guild_name.as_str(), preview.role, preview.status),
            ("Guild alpha", Role::Editor, InvitationStatus::Active)
        );
        invitations::redeem(fx.db(), clock, &fx.outsider, &token)
            .await
            .unwrap();
        assert_eq!(
            role_in(&fx, "alpha", fx.outsider.id).await,
            Some(Role::Editor)
        );
        let again = invitations::redeem(fx.db(), clock, &fx.viewer, &token)
            .await
            .unwrap_err();
        assert_eq!(
            again,
            AppError::invalid("This invitation link has already been used. Ask an admin of the guild for a new one.")
        );

        // A multi-use link works until it is revoked, or until it expires.
        let multi = invitations::create(fx.db(), clock, &admin, &invite(Role::Viewer, 7, false))
            .await
            .unwrap();
        let multi_token = token_of(&multi.path).to_string();
        invitations::revoke(fx.db(), clock, &admin, multi.info.id)
            .await
            .unwrap();
        let revoked = invitations::redeem(fx.db(), clock, &fx.viewer, &multi_token)
            .await
            .unwrap_err();
        assert!(revoked.to_string().contains("revoked"), "{revoked}");

        let week = invitations::create(fx.db(), clock, &admin, &invite(Role::Admin, 7, false))
            .await
            .unwrap();
        fx.clock.advance(Duration::days(7));
        let expired = invitations::redeem(fx.db(), clock, &fx.viewer, token_of(&week.path))
            .await
            .unwrap_err();
        assert!(expired.to_string().contains("expired"), "{expired}");

        let states: Vec<_> = invitations::list(fx.db(), clock, &admin)
            .await
            .unwrap()
            .into_iter()
            .map(|i| i.status)
            .collect();
        assert_eq!(
            states,
            [
                InvitationStatus::Expired,
                InvitationStatus::Revoked,
                InvitationStatus::UsedUp
            ]
        );

        let bad = invitations::preview(fx.db(), clock, None, "not-a-token")
            .await
            .unwrap_err();
        assert!(matches!(bad, AppError::NotFound(_)));
        let too_long = invitations::create(fx.db(), clock, &admin, &invite(Role::Viewer, 31, true))
            .await
            .unwrap_err();
        assert_eq!(
            too_long,
            AppError::invalid("An invitation link lasts 1 to 30 days.")
        );
    }
);

db_test!(
    an_invitation_never_lowers_a_role_and_only_admins_make_them,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let admin = fx.scope(&fx.admin, "alpha").await;
        let link = invitations::create(
            fx.db(),
            &fx.state.clock,
            &admin,
            &invite(Role::Viewer, 7, false),
        )
        .await
        .unwrap();
        invitations::redeem(fx.db(), &fx.state.clock, &fx.editor, token_of(&link.path))
            .await
            .unwrap();
        assert_eq!(
            role_in(&fx, "alpha", fx.editor.id).await,
            Some(Role::Editor)
        );

        let editor = fx.scope(&fx.editor, "alpha").await;
        let refused = invitations::create(
            fx.db(),
            &fx.state.clock,
            &editor,
            &invite(Role::Viewer, 7, true),
        )
        .await
        .unwrap_err();
        assert!(matches!(refused, AppError::Forbidden(_)));
        assert_eq!(
            count(fx.db(), "SELECT COUNT(*) FROM audit_log WHERE action = 'member' AND summary LIKE 'Created an invitation link%'", vec![]).await,
            1
        );
    }
);
