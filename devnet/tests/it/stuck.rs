//! A block that cannot finish, end to end on the embedded L1 (docs/spec/protocol.md, "A block
//! that cannot finish"): the honest validator over a guest that traps on a forced
//! transaction claims STUCK, beats an attacker's made-up state down to the block's last step,
//! reports the halt, and carries the chain across the owner's fixed guest.

use fuse_contracts::deploy::DEFAULT_DEGREE;
use fuse_devnet::arena::arena_config;
use fuse_l1::rollup::RollupL1;
use fuse_l1::testing::account;
use fuse_l1::{DevClock, EmbeddedClock, EmbeddedL1, L1};
use fuse_prover::dispute::{History, Liar, Lie};
use fuse_validator::replica::Replica;
use fuse_validator::store::DisputeStore;
use fuse_validator::{Validator, ValidatorConfig};

const PERIOD: u64 = 3_600;

/// The executor of a guest written in the text format.
fn guest(wat: &str) -> std::sync::Arc<fuse_prover::block::Executor> {
    let buf = wast::parser::ParseBuffer::new(wat).unwrap();
    let wasm = wast::parser::parse::<wast::Wat>(&buf)
        .unwrap()
        .encode()
        .unwrap();
    std::sync::Arc::new(fuse_prover::block::Executor::new(&wasm).unwrap())
}

/// A guest that runs every message as an empty block, except that a forced transaction traps.
const TRAPS_ON_FORCED: &str = r#"
(module
  (import "fuse" "read_inbox" (func $read_inbox (param i32 i32) (result i32)))
  (import "fuse" "get_u64" (func $get_u64 (param i32) (result i64)))
  (import "fuse" "set_u64" (func $set_u64 (param i32 i64)))
  (memory (export "memory") 1 1)
  (func (export "fuse_entry")
    (if (i32.ne (call $read_inbox (i32.const 0) (i32.const 0)) (i32.const 0))
      (then (if (i32.eq (i32.load8_u (i32.const 0)) (i32.const 3)) (then unreachable))))
    (call $set_u64 (i32.const 0) (i64.add (call $get_u64 (i32.const 0)) (i64.const 1)))
    (call $set_u64 (i32.const 1) (i64.add (call $get_u64 (i32.const 1)) (i64.const 1)))))
"#;

/// A block that cannot finish (attack 4 against the real validator): the guest traps on a
/// forced transaction, so no state exists after it, and an attacker asserts a state of its
/// own there (with its own outbox root) hoping nobody can rival it. The honest validator
/// claims STUCK over that range, challenges the attacker and plays the game down to the
/// trapping block — level 2 over the stepping machine's errored trace — and wins; its STUCK
/// claim is confirmed, the attacker's assertion rejected. Then the halted-chain alarm: the
/// chain goes on only under a new module root, and the validator's health turns `Halted`,
/// naming the block, instead of waiting in silence. Then the recovery: the owner schedules a
/// fixed guest, and once it applies the validator re-runs the range in it and the chain goes
/// on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_that_cannot_finish_is_claimed_stuck_and_halts_the_chain_loudly() {
    use fuse_l1::rollup::{CONFIRMED, REJECTED};
    use fuse_validator::Narration;
    let executor = guest(TRAPS_ON_FORCED);
    // The same guest with the trap fixed: every message an empty block.
    let fixed = guest(&TRAPS_ON_FORCED.replace("(then unreachable)", "(then nop)"));
    let l1 = EmbeddedL1::new(EmbeddedClock::Manual(1_800_000_000));
    let owner = l1.signer();
    let mut config = arena_config(owner, PERIOD, DEFAULT_DEGREE);
    let module_root = executor.module().root;
    config.module_root = module_root;
    let rollup = RollupL1::deploy(l1.clone(), config).await.unwrap();
    rollup.tick().await.unwrap();
    rollup.force_transaction(vec![0xab; 8]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (tx, rx) = tokio::sync::watch::channel(Default::default());
    let (ntx, mut nrx) = tokio::sync::mpsc::unbounded_channel();
    let mut c = ValidatorConfig::honest("validator", dir.path().join("v"));
    c.health = Some(tx);
    c.narrate = Some(ntx);
    let honest = account(&l1, &rollup, 0x11).await;
    let mut v = Validator::with_executor(honest, c, executor.clone())
        .unwrap()
        .with_next_guests(vec![fixed.clone()]);
    // The attacker knows the truth (its own replica of the chain) and claims the trapping
    // block finished: its machine is the real one up to the block's last step.
    let attacker = account(&l1, &rollup, 0x66).await;
    let mut replica = Replica::new(executor.clone());
    replica.follow(&attacker, 0, false).await.unwrap();
    replica.execute().unwrap();
    assert_eq!(replica.stuck_at(), Some(2));
    let truth = replica.truth(1, 3, Default::default()).unwrap();
    let mut liar = Liar::new(truth, Lie::State { block: 1 });
    let loot = liar.global_state(2).unwrap();
    let (mut lie, mut stuck, mut game) = (None, None, None);
    for _ in 0..400 {
        v.poll().await.unwrap();
        while let Ok((_, n)) = nrx.try_recv() {
            match n {
                // The first assertion covers Config alone; the attacker lies under it, about
                // the range holding the forced transaction.
                Narration::Asserted { id, .. } if lie.is_none() => {
                    let bond = attacker.bond().await.unwrap();
                    lie = Some(attacker.create_assertion(id, &loot, bond).await.unwrap().0);
                }
                Narration::AssertedStuck { id, position, .. } => {
                    assert_eq!(position, 2, "the forced transaction's block");
                    stuck = Some(id);
                }
                Narration::ChallengeOpened { id, .. } => game = Some(id),
                _ => {}
            }
        }
        if let Some(id) = game
            && attacker.challenge_state(id).await.unwrap().mover == attacker.l1.signer()
        {
            liar_moves(&attacker, id, &mut liar, module_root).await;
        }
        if v.health().is_halted() {
            break;
        }
        l1.advance(60).await.unwrap();
    }
    let (lie, stuck) = (
        lie.expect("the attacker asserted"),
        stuck.expect("claimed STUCK"),
    );
    let s = rollup.assertion(stuck).await.unwrap();
    assert_eq!(s.afterStateHash, fuse_vm::hash::stuck_state_hash());
    assert_eq!(s.status, CONFIRMED);
    assert_eq!(rollup.latest_confirmed().await.unwrap(), stuck);
    assert_eq!(rollup.assertion(lie).await.unwrap().status, REJECTED);
    let health = rx.borrow().clone();
    let fuse_validator::health::Health::Halted { reason } = health else {
        panic!("not halted: {health:?}");
    };
    assert!(reason.contains("block 2"), "{reason}");
    assert!(reason.contains("new module root"), "{reason}");
    assert_eq!(v.health(), &*rx.borrow());
    println!("halted: {reason}");

    // The owner schedules the fixed guest. Once it applies, the validator re-runs the stuck
    // range from its start in it, asserts under the STUCK assertion and the chain goes on.
    rollup
        .schedule_module_root(fixed.module().root)
        .await
        .unwrap();
    // The stuck assertion's children need one message past its range, as every child does.
    rollup.tick().await.unwrap();
    let mut after = None;
    for _ in 0..600 {
        v.poll().await.unwrap();
        while let Ok((_, n)) = nrx.try_recv() {
            if let Narration::Confirmed { id, .. } = n
                && id != stuck
            {
                after = Some(id);
            }
        }
        if after.is_some() {
            break;
        }
        l1.advance(60).await.unwrap();
    }
    let after = after.expect("the chain went on past the stuck assertion");
    let a = rollup.assertion(after).await.unwrap();
    assert_eq!(a.parent, stuck);
    assert_eq!(a.moduleRoot, fixed.module().root);
    assert_ne!(a.afterStateHash, fuse_vm::hash::stuck_state_hash());
    // Its range re-ran from where the stuck assertion's range started: the state after
    // every message of it in the fixed guest.
    let mut rerun = Replica::new(executor.clone());
    rerun.follow(&rollup, 0, false).await.unwrap();
    rerun.execute().unwrap();
    rerun.restart(1, fixed.clone()).unwrap();
    rerun.execute().unwrap();
    assert_eq!(
        Some(a.afterStateHash),
        rerun.state(a.afterInbox).map(|s| s.hash())
    );
    assert_eq!(*v.health(), Default::default(), "running again");
    drop(v);
    let games = DisputeStore::open(&dir.path().join("v"))
        .unwrap()
        .all()
        .unwrap();
    assert_eq!(games.len(), 1, "one challenge, against the attacker");
    assert!(games[0].outcome.as_ref().is_some_and(|o| o.won));
    // Level 2 narrowed to the block's last step, where the attacker's machine finishes and
    // the real one stays errored: whoever has to settle it, the attacker cannot.
    let level2 = games[0].moves.iter().filter(|m| m.level == 2).count();
    assert!(level2 >= 4, "{:?}", games[0].moves);
    let last = games[0].moves.last().unwrap();
    assert_eq!(last.start + last.length, 1 << 32, "{:?}", games[0].moves);
}

/// The attacker's move in challenge `id` as its `liar` history decides it, from the segments
/// the ChallengeManager has published.
async fn liar_moves(
    attacker: &RollupL1<EmbeddedL1>,
    id: u64,
    liar: &mut Liar<fuse_prover::dispute::Truth>,
    module_root: alloy_primitives::B256,
) {
    use fuse_l1::rollup::RollupEvent;
    use fuse_prover::dispute::{Decision, Game, decide};
    let head = attacker.l1.head().await.unwrap().number;
    let degree = attacker.degree().await.unwrap();
    let mut game: Option<Game> = None;
    for e in attacker.rollup_events(0, head).await.unwrap() {
        if let RollupEvent::SegmentPosted { id: c, segment, .. } = e
            && c == id
        {
            match game.as_mut() {
                None => {
                    let (start, end) = (segment.hashes[0], segment.hashes[1]);
                    game = Some(Game::open(start, end, segment.length, degree, module_root));
                }
                Some(g) => g.advance(segment).unwrap(),
            }
        }
    }
    let game = game.expect("an opened challenge");
    if let Decision::Move(m) = decide(&game, liar).unwrap() {
        attacker.send_move(id, &game.segment, &m).await.unwrap();
    }
}
