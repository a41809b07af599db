//! Property tests of the matching engine's invariants over random command streams: the book is
//! never crossed, levels sum their orders, every order is in exactly one level and the index,
//! and quantity is conserved (what was submitted is filled, working, cancelled, expired or
//! rejected — per order, with modifies accounted for).

use std::collections::BTreeMap;

use ferrotrade_core::matching::{Command, EventKind, MatchingEngine, OrderRequest};
use ferrotrade_core::types::{OrderId, OrderType, Side, TimeInForce};
use proptest::prelude::*;

fn command() -> impl Strategy<Value = Command> {
    let submit = (
        1u64..40,
        any::<bool>(),
        0i64..4,
        0i64..4,
        95i64..106,
        95i64..106,
        1u64..20,
    )
        .prop_map(|(id, buy, kind, tif, price, stop, qty)| {
            Command::Submit(OrderRequest {
                id: OrderId(id),
                side: if buy { Side::Buy } else { Side::Sell },
                order_type: OrderType::from_code(kind).unwrap(),
                tif: TimeInForce::from_code(tif).unwrap(),
                qty,
                price: Some(price),
                stop_price: Some(stop),
                ts: 0,
            })
        });
    let cancel = (1u64..40).prop_map(|id| Command::Cancel {
        id: OrderId(id),
        ts: 0,
    });
    let modify =
        (1u64..40, 1u64..20, proptest::option::of(95i64..106)).prop_map(|(id, qty, price)| {
            Command::Modify {
                id: OrderId(id),
                qty,
                price,
                ts: 0,
            }
        });
    prop_oneof![
        6 => submit,
        2 => cancel,
        2 => modify,
        1 => Just(Command::SessionEnd { ts: 0 }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_after_every_command(cmds in proptest::collection::vec(command(), 1..120)) {
        let mut engine = MatchingEngine::new();
        // Working quantity per live order, maintained only from the event stream.
        let mut working: BTreeMap<u64, u64> = BTreeMap::new();
        let mut submitted = 0u64;
        let mut removed = 0u64; // filled + cancelled + expired + rejected + modified away
        for cmd in &cmds {
            let before_ok = engine.clone();
            let result = engine.apply(cmd);
            if result.is_err() {
                prop_assert_eq!(engine.book().orders(), before_ok.book().orders());
                prop_assert_eq!(engine.events.len(), before_ok.events.len());
                continue;
            }
            if let Command::Submit(req) = cmd {
                submitted += req.qty;
            }
            for e in engine.events.drain(..) {
                let id = e.id.0;
                match e.kind {
                    EventKind::Accepted => { working.insert(id, e.leaves); }
                    EventKind::Rejected => removed += e.qty,
                    EventKind::PartiallyFilled | EventKind::Filled => {
                        let w = working.get_mut(&id).expect("fill of a live order");
                        prop_assert!(*w >= e.qty);
                        *w -= e.qty;
                        prop_assert_eq!(*w, e.leaves);
                        removed += e.qty;
                        if e.leaves == 0 { working.remove(&id); }
                    }
                    EventKind::Canceled | EventKind::Expired => {
                        let w = working.remove(&id).expect("cancel of a live order");
                        prop_assert_eq!(w, e.qty);
                        removed += e.qty;
                    }
                    EventKind::Modified => {
                        let w = working.insert(id, e.leaves).expect("modify of a live order");
                        if e.leaves >= w { submitted += e.leaves - w } else { removed += w - e.leaves }
                    }
                    EventKind::Triggered => {}
                }
            }
            engine.trades.clear();
            prop_assert!(engine.book().check_integrity().is_ok(), "{:?}", engine.book().check_integrity());
            // Every live order's working quantity is exactly what rests or waits.
            let mut live = 0u64;
            for (&id, &w) in &working {
                let rests = engine.book().order(OrderId(id)).map(|o| o.qty);
                let waits = engine.pending_stop(OrderId(id)).map(|r| r.qty);
                prop_assert_eq!(rests.or(waits), Some(w), "order {}", id);
                live += w;
            }
            prop_assert_eq!(working.len(), engine.book().len() + engine.pending_stop_count());
            prop_assert_eq!(submitted, removed + live);
        }
    }
}
