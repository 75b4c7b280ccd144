//! Writers take turns: a member's write waits for the chunk under way, not
//! for a whole long run, and never fails because another writer keeps the
//! database busy (`domain::db::WriteTurns`). Both backends.

use app::db_test;
use app::domain::auth;
use app::domain::test_support::Fixture;
use app::domain::Db;
use std::time::{Duration, Instant};

/// How long the busy writer holds each of its turns: about what a 50,000-item
/// chunk of a bulk action holds SQLite's write lock for.
const TURN: Duration = Duration::from_millis(200);
/// How long the busy writer keeps taking turns back to back.
const BUSY_FOR: Duration = Duration::from_secs(3);

db_test!(
    writers_take_turns_with_a_writer_that_works_back_to_back,
    |db: Db| async move {
        let fx = Fixture::new(db).await;
        let busy = {
            let db = fx.db().clone();
            tokio::spawn(async move {
                let until = Instant::now() + BUSY_FOR;
                let mut turns = 0;
                while Instant::now() < until {
                    let tx = db.begin_write().await.expect("the busy writer's turn");
                    tokio::time::sleep(TURN).await;
                    tx.commit().await.expect("commit");
                    turns += 1;
                }
                turns
            })
        };
        tokio::time::sleep(TURN / 2).await;

        // Five members sign in meanwhile: each sign-in writes a session.
        let started = Instant::now();
        let sign_ins: Vec<_> = (0..5)
            .map(|_| {
                let (db, clock, user) = (fx.db().clone(), fx.state.clock.clone(), fx.editor.id);
                tokio::spawn(async move {
                    let at = Instant::now();
                    auth::create_session(&db, &clock, user)
                        .await
                        .expect("a sign-in during the busy writer's work");
                    at.elapsed()
                })
            })
            .collect();
        let mut waits = Vec::new();
        for s in sign_ins {
            waits.push(s.await.unwrap());
        }
        let all_done = started.elapsed();
        let turns = busy.await.unwrap();

        // First come, first served: the sign-ins wait for the turn under way
        // and go before the busy writer's next one. A busy handler that just
        // retries would let the busy writer win again and again, and the
        // sign-ins would wait until it stopped (3 s), or fail.
        assert!(turns >= 5, "the busy writer kept working: {turns} turns");
        assert!(
            all_done < BUSY_FOR / 2,
            "the sign-ins took {all_done:?} while the busy writer worked ({waits:?})"
        );
    }
);
