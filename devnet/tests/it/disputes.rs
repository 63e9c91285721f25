//! Honest validators against lying ones, end to end on L1: a fresh rollup with real traffic
//! (deposits, a batch of signed transfers and a withdrawal), an honest validator and liars that
//! claim a wrong state from a chosen block on — at level 1 only or with their machine departing at
//! a chosen step — played in lockstep (`validator::arena`) until the honest assertion is confirmed.
//! Every dispute runs through both bisection levels of the real ChallengeManager and ends in a
//! one-step proof on the real OneStepProver or the liar's timeout; the honest side must win every
//! one.

use fuse_l1::testing::account;

use std::path::Path;

use alloy::node_bindings::Anvil;
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, U256};
use fuse_arbos::testing::TestRng;
use fuse_contracts::deploy::DEFAULT_DEGREE;
use fuse_devnet::arena::{Resolution, arena_config, post_traffic, resolve};
use fuse_l1::rollup::RollupL1;
use fuse_l1::{DevClock, EmbeddedClock, EmbeddedL1, L1, RpcL1};
use fuse_validator::replica::Replica;
use fuse_validator::store::{DisputeStore, MoveState};
use fuse_validator::{LieSpec, Validator, ValidatorConfig};

const PERIOD: u64 = 3_600;
const TRANSFERS: usize = 4;
const MAX_ROUNDS: usize = 400;

/// A validator over `rollup` signing as its handle's account, keeping records in `dir`.
fn validator<L: L1 + Clone + 'static>(
    rollup: RollupL1<L>,
    name: &str,
    dir: &Path,
    lie: Option<LieSpec>,
) -> Validator<L> {
    let mut c = ValidatorConfig::honest(name, dir.join(name));
    c.lie = lie;
    Validator::new(rollup, c).unwrap()
}

/// A fresh rollup on a fresh embedded L1 with traffic posted; returns the L1, the owner's
/// rollup handle and the message count after the traffic.
async fn embedded() -> (EmbeddedL1, RollupL1<EmbeddedL1>, u64) {
    let l1 = EmbeddedL1::new(EmbeddedClock::Manual(1_800_000_000));
    let owner = l1.signer();
    let rollup = RollupL1::deploy(l1.clone(), arena_config(owner, PERIOD, DEFAULT_DEGREE))
        .await
        .unwrap();
    let target = post_traffic(&rollup, TRANSFERS).await.unwrap();
    (l1, rollup, target)
}

/// A validator named `name` on its own funded account (`seed`), lying if `lie` says so.
async fn party(
    l1: &EmbeddedL1,
    rollup: &RollupL1<EmbeddedL1>,
    seed: u8,
    name: &str,
    dir: &Path,
    lie: Option<LieSpec>,
) -> Validator<EmbeddedL1> {
    validator(account(l1, rollup, seed).await, name, dir, lie)
}

/// `n` lies drawn from `seed`: a block of the traffic (messages `1 .. target`), and a step
/// — none (level 1 only) one time in four, else anywhere from the first step to well past
/// the end of the longest block (a step past a block's end claims a halted machine moved).
fn lies(seed: u64, n: usize, target: u64) -> Vec<LieSpec> {
    let mut rng = TestRng::new(seed);
    (0..n)
        .map(|_| {
            let block = 1 + rng.below(target - 1);
            let step = match rng.below(8) {
                0 | 1 => None,
                2 => Some(1 << 31),
                _ => Some(1 + rng.below(1 << 17)),
            };
            LieSpec::At { block, step }
        })
        .collect()
}

/// Checks that `honest` won every challenge it was in (liars may also fight each other) and
/// that the confirmed assertion covers the traffic with the state it computed; returns how its
/// challenges ended.
fn honest_won<L: L1 + Clone + 'static>(
    r: &Resolution,
    honest: &Validator<L>,
    target: u64,
) -> Vec<&'static str> {
    let me = honest.address();
    let mine: Vec<_> = r
        .challenges
        .iter()
        .filter(|(_, w, l, _)| *w == me || *l == me)
        .collect();
    assert!(
        !mine.is_empty(),
        "the honest validator played no challenge: {r:?}"
    );
    for (id, winner, _, how) in &mine {
        assert_eq!(*winner, me, "challenge {id} ({how}): {r:?}");
    }
    assert!(r.confirmed.1 >= target, "{r:?}");
    assert_eq!(
        honest.claim_hash(r.confirmed.1),
        Some(r.confirmed_hash),
        "the confirmed state is not the one the honest validator computed: {r:?}"
    );
    mine.iter().map(|c| c.3).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_honest_validator_wins_against_random_lies_on_the_embedded_l1() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or("warn".into()))
        .with_test_writer()
        .try_init();
    let n = 8;
    let mut endings = Vec::new();
    let mut rounds = 0;
    let (_, _, target) = embedded().await;
    for (i, lie) in lies(0x5eed, n, target).into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let (l1, rollup, target) = embedded().await;
        let honest = party(&l1, &rollup, 0xa0, "honest", dir.path(), None).await;
        let liar = party(&l1, &rollup, 0xb0, "liar", dir.path(), Some(lie)).await;
        let them = liar.address();
        // Whoever polls first opens the challenge and moves first, which decides who faces
        // the last one-step interval: alternate, so the liar is sometimes the challenger.
        let liar_first = i % 2 == 1;
        let mut vs = if liar_first {
            vec![liar, honest]
        } else {
            vec![honest, liar]
        };
        let r = resolve(&mut vs, &l1, target, MAX_ROUNDS)
            .await
            .unwrap_or_else(|e| panic!("dispute {i} ({lie:?}): {e:#}"));
        let (h, l) = if liar_first { (1, 0) } else { (0, 1) };
        let how = honest_won(&r, &vs[h], target);
        let liar_info = vs[0].rollup.staker_info(them).await.unwrap();
        assert!(!liar_info.staked, "dispute {i}: the liar still has a stake");
        println!(
            "dispute {i}: lie {lie:?}, liar moves first: {liar_first} -> honest won by {how:?} in {} rounds; honest {:?}, liar {:?}",
            r.rounds, vs[h].stats, vs[l].stats
        );
        endings.extend(how);
        rounds += r.rounds;
    }
    // Both endings occur among the lies drawn: a proof, and a liar stuck at the bottom.
    assert!(endings.contains(&"one-step proof"), "{endings:?}");
    assert!(endings.contains(&"timeout"), "{endings:?}");
    println!("honest vs liar: {n} disputes, all won by the honest validator ({rounds} rounds)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_honest_validator_beats_two_liars_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (l1, rollup, target) = embedded().await;
    let honest = party(&l1, &rollup, 0xa0, "honest", dir.path(), None).await;
    let liar1 = LieSpec::At {
        block: target - 1,
        step: Some(777),
    };
    let liar2 = LieSpec::At {
        block: 2,
        step: None,
    };
    let a = party(&l1, &rollup, 0xb1, "liar-1", dir.path(), Some(liar1)).await;
    let b = party(&l1, &rollup, 0xb2, "liar-2", dir.path(), Some(liar2)).await;
    let mut vs = vec![honest, a, b];
    let r = resolve(&mut vs, &l1, target, MAX_ROUNDS).await.unwrap();
    honest_won(&r, &vs[0], target);
    // The liars claim different wrong states, so they fight each other as well; both end
    // without a stake.
    assert!(vs[1].claim_hash(target) != vs[2].claim_hash(target));
    for liar in &vs[1..] {
        let info = vs[0].rollup.staker_info(liar.address()).await.unwrap();
        assert!(
            !info.staked,
            "{} still has a stake: {r:?}",
            liar.config.name
        );
    }
    let losers: std::collections::BTreeSet<Address> = r.challenges.iter().map(|c| c.2).collect();
    assert!(
        losers.contains(&vs[1].address()) && losers.contains(&vs[2].address()),
        "{r:?}"
    );
    println!(
        "two liars at once: {} challenges (the honest validator won each of its own; the liars fought each other too): {:?}",
        r.challenges.len(),
        r.challenges
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_restarted_mid_dispute_still_wins_with_no_move_repeated() {
    let dir = tempfile::tempdir().unwrap();
    let (l1, rollup, target) = embedded().await;
    let honest_l1 = account(&l1, &rollup, 0xa0).await;
    let honest = validator(honest_l1.clone(), "honest", dir.path(), None);
    let me = honest.address();
    let lie = LieSpec::At {
        block: target - 1,
        step: Some(40_000),
    };
    let liar = party(&l1, &rollup, 0xb0, "liar", dir.path(), Some(lie)).await;
    let mut vs = vec![honest, liar];
    // Play until the honest validator has made three moves in a challenge and the liar has
    // answered the third: the honest side is to move.
    let record = |v: &Validator<EmbeddedL1>| {
        v.records()
            .unwrap()
            .into_iter()
            .max_by_key(|d| d.moves.len())
    };
    let mut rounds = 0;
    loop {
        if let Some(r) = record(&vs[0])
            && r.moves.len() >= 3
            && vs[0].rollup.challenge_state(r.id).await.unwrap().mover == me
        {
            break;
        }
        for v in vs.iter_mut() {
            v.poll().await.unwrap();
        }
        l1.advance(1).await.unwrap();
        rounds += 1;
        assert!(rounds < 100, "no three moves in 100 rounds");
    }
    let id = record(&vs[0]).unwrap().id;
    let current = vs[0].rollup.challenge_state(id).await.unwrap().segment_hash;
    drop(vs.remove(0));
    // The process stopped with two moves "sending": its third move, which landed (the crash
    // came before the receipt was written), and a fourth it had recorded but not yet sent.
    let store = DisputeStore::open(&dir.path().join("honest")).unwrap();
    let mut rec = store.get(id).unwrap().unwrap();
    let landed = rec.moves.len();
    rec.moves.last_mut().unwrap().state = MoveState::Sending;
    let mut unsent = rec.moves.last().unwrap().clone();
    unsent.segment_hash = current.0;
    rec.moves.push(unsent);
    store.put(&rec).unwrap();
    drop(store);

    // A new process over the same data directory.
    let restarted = validator(honest_l1.clone(), "honest", dir.path(), None);
    vs.insert(0, restarted);
    let r = resolve(&mut vs, &l1, target, MAX_ROUNDS).await.unwrap();
    honest_won(&r, &vs[0], target);
    drop(vs);

    // The landed move was recognised as landed and not sent again; the unsent one as never
    // landed, and decided again over the same segment; every move that landed answered a
    // different segment.
    let store = DisputeStore::open(&dir.path().join("honest")).unwrap();
    let rec2 = store.get(id).unwrap().unwrap();
    assert_eq!(rec2.moves[landed - 1].state, MoveState::LandedAnswerLost);
    assert_eq!(rec2.moves[landed].state, MoveState::Dropped);
    let again = &rec2.moves[landed + 1];
    assert!(matches!(again.state, MoveState::Mined { .. }), "{again:?}");
    assert_eq!(
        again.segment_hash, current.0,
        "the dropped move was decided again"
    );
    let mut answered: Vec<[u8; 32]> = rec2
        .moves
        .iter()
        .filter(|m| m.state != MoveState::Dropped)
        .map(|m| m.segment_hash)
        .collect();
    let count = answered.len();
    answered.sort();
    answered.dedup();
    assert_eq!(
        answered.len(),
        count,
        "a segment answered twice: {:?}",
        rec2.moves
    );
    assert!(rec2.outcome.as_ref().is_some_and(|o| o.won), "{rec2:?}");
    println!(
        "restarted after {rounds} rounds ({landed} moves made, the last in flight, one more recorded unsent); won with {} moves in all",
        rec2.moves.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_honest_validator_wins_on_anvil() {
    let anvil = Anvil::at(fuse_l1::testing::anvil_path())
        .port(fuse_l1::testing::free_port())
        .try_spawn()
        .expect("anvil starts (./scripts/test installs it)");
    let key = |i: usize| PrivateKeySigner::from(anvil.keys()[i].clone());
    let owner_l1 = RpcL1::connect(&anvil.endpoint(), key(0)).unwrap();
    let rollup = RollupL1::deploy(
        owner_l1.clone(),
        arena_config(key(0).address(), PERIOD, DEFAULT_DEGREE),
    )
    .await
    .unwrap();
    let target = post_traffic(&rollup, TRANSFERS).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    for (i, lie) in lies(0xa11, 2, target).into_iter().enumerate() {
        // One rollup per dispute would need a fresh anvil; instead each dispute gets its own
        // pair of accounts on a new deployment.
        let rollup = if i == 0 {
            rollup.clone()
        } else {
            let r = RollupL1::deploy(
                owner_l1.clone(),
                arena_config(key(0).address(), PERIOD, DEFAULT_DEGREE),
            )
            .await
            .unwrap();
            assert_eq!(post_traffic(&r, TRANSFERS).await.unwrap(), target);
            r
        };
        let on = |i: usize| {
            RollupL1::at(
                RpcL1::connect(&anvil.endpoint(), key(i)).unwrap(),
                rollup.contracts,
            )
        };
        let sub = dir.path().join(format!("{i}"));
        let honest = validator(on(1 + 2 * i), "honest", &sub, None);
        let liar = validator(on(2 + 2 * i), "liar", &sub, Some(lie));
        let mut vs = vec![honest, liar];
        let r = resolve(&mut vs, &owner_l1, target, MAX_ROUNDS)
            .await
            .unwrap_or_else(|e| panic!("anvil dispute {i} ({lie:?}): {e:#}"));
        let how = honest_won(&r, &vs[0], target);
        println!(
            "anvil dispute {i}: lie {lie:?} -> honest won {how:?} in {} rounds",
            r.rounds
        );
        n += 1;
    }
    println!("honest vs liar on anvil: {n} disputes, all won by the honest validator");
}

/// The validator's replica computes every block in the twin, and re-runs a block in the
/// stepping machine when the twin runs out of fuel: with almost no fuel every block takes
/// that path, and the states are the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_replica_falls_back_to_the_stepping_machine_when_the_twin_runs_out_of_fuel() {
    let (_, rollup, target) = embedded().await;
    let executor = std::sync::Arc::new(fuse_prover::block::Executor::guest().unwrap());
    let mut twin = Replica::new(executor.clone());
    let mut machine = Replica::new(executor).with_fuel(100);
    for r in [&mut twin, &mut machine] {
        r.follow(&rollup, 0, false).await.unwrap();
        assert_eq!(r.execute().unwrap(), target);
    }
    assert_eq!(twin.stats.twin, target);
    assert_eq!(twin.stats.machine, 0);
    assert_eq!(machine.stats.machine, target, "{:?}", machine.stats);
    assert_eq!(twin.states(), machine.states());
    println!("{target} blocks: the twin and the stepping machine's re-runs reach the same states");
}

/// Every attacker strategy of `validator::attacks` against the real honest validator, with 1
/// and 4 attacker bonds (16 in `fuse-l2 bench attacks`): the honest side wins every game,
/// loses nothing, has its assertion confirmed within `T + C` of its family's first child plus
/// its latency, and every attack costs the attacker at least 6.5 times what it costs the
/// honest side at the stated gas price — repaid in full from the attacker's bonds wherever
/// the attacker lost one (the dead end costs the attacker gas only).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_attack_is_refused_or_bounded_against_the_real_validator() {
    use fuse_devnet::attacks::{Attack, play};
    let dir = tempfile::tempdir().unwrap();
    let baseline = play(Attack::None, 0, &dir.path().join("baseline"))
        .await
        .unwrap();
    for attack in Attack::ALL.into_iter().filter(|a| *a != Attack::None) {
        for bonds in [1, 4] {
            let r = play(
                attack,
                bonds,
                &dir.path().join(format!("{attack:?}{bonds}")),
            )
            .await
            .unwrap();
            let cost = r.honest_cost(baseline.honest_gas);
            println!(
                "{attack:?} x{bonds}: confirmed after {} s (bound {}), honest {} txs / {} gas, \
                 extra {cost} wei, refunded {}, attacker lost {}, {} challenges, {} refused",
                r.delay,
                r.bound,
                r.honest_txs,
                r.honest_gas,
                r.honest_refunds,
                r.attacker_loss,
                r.challenges,
                r.refused
            );
            assert!(
                r.honest_won_all,
                "{attack:?} x{bonds}: the honest side lost a game"
            );
            assert!(
                !r.honest_lost,
                "{attack:?} x{bonds}: the honest side lost money"
            );
            assert!(
                r.delay <= r.bound,
                "{attack:?} x{bonds}: {} s past {}",
                r.delay,
                r.bound
            );
            assert!(
                r.attacker_loss * U256::from(2) >= cost * U256::from(13),
                "{attack:?} x{bonds}: ratio below 6.5"
            );
            if attack != Attack::DeadEnd {
                assert!(r.honest_refunds >= cost, "{attack:?} x{bonds}: not repaid");
            }
            if matches!(attack, Attack::DeadlineRolling | Attack::ManyChallenges) && bonds > 1 {
                assert!(r.refused > 0, "{attack:?} x{bonds}: nothing refused");
            }
        }
    }
}
