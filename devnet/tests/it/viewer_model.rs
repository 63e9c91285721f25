//! Every committed dispute vector as the dispute viewer shows it, checked against the two
//! implementations it draws on: the one-step proof decoded by the verifier's own path must
//! yield the recorded hash and name the recorded instruction, and the stepping machine at the
//! disputed step must be the machine the proof's header reveals (same hash, same pc) and step
//! to the proven hash.

use fuse_devnet::replay::vector::DisputeVector;
use fuse_devnet::replay::vectors_dir;
use fuse_devnet::replay::view::view;

#[test]
fn every_vector_page_agrees_with_the_machine_and_the_verifier() {
    let mut files: Vec<_> = std::fs::read_dir(vectors_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "{files:?}");
    let mut proofs = 0;
    for path in &files {
        let v = DisputeVector::read(path).unwrap();
        let page = view(&v, &path.display().to_string(), None);
        let name = &v.name;
        assert_eq!(page.moves.len(), v.moves.len(), "{name}");
        assert_eq!(page.clocks.len(), v.moves.len() + 1, "{name}");
        assert_eq!(
            page.gas_total.iter().sum::<u64>(),
            v.moves.iter().map(|m| m.gas).sum::<u64>(),
            "{name}"
        );
        // A clock drains by exactly the time its owner's turn took, and only on its turn:
        // the curves drawn from these points are the manager's accounting.
        for (w, m) in page.clocks.windows(2).zip(&page.moves) {
            let (mover, other) = (m.party, 1 - m.party);
            if m.kind == "timeout" {
                assert_eq!(w[1].left[other], 0, "{name}: the timed-out clock is empty");
                continue;
            }
            assert_eq!(
                w[0].left[mover] - w[1].left[mover],
                w[1].t - w[0].t,
                "{name}: round {}",
                m.round
            );
            assert_eq!(
                w[0].left[other], w[1].left[other],
                "{name}: round {}",
                m.round
            );
        }
        // The part a move disputes is the segment the next move answers (the opening is one
        // part, whatever its length).
        assert_eq!(page.moves[0].parts, Some(1), "{name}");
        for (m, next) in page.moves.iter().zip(&page.moves[1..]) {
            if let (Some(part), Some(s), Some(l)) = (m.part, next.start, next.length)
                && next.level == m.level
            {
                assert_eq!(part, (s, s + l), "{name}: round {}", m.round);
            }
        }
        for (m, r) in page.moves.iter().zip(&v.moves) {
            if let (Some((a, b)), Some(start), Some(length)) = (m.part, r.start, r.length) {
                assert!(start <= a && a < b && b <= start + length, "{name}: {m:?}");
            }
        }
        let outcome = page.outcome.as_ref().unwrap();
        assert_eq!(
            page.parties[outcome.winner].name,
            v.outcome.winner.name(),
            "{name}"
        );
        let Some(recorded) = v.moves.iter().find_map(|m| m.proof.as_ref()) else {
            assert!(
                page.proof.is_none() && page.disputed_step.is_none(),
                "{name}"
            );
            assert!(
                page.notes.iter().any(|n| n.contains("no one-step proof")),
                "{name}"
            );
            continue;
        };
        proofs += 1;
        let proof = page
            .proof
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: {:?}", page.notes));
        assert_eq!(proof.rejected, None, "{name}");
        assert_eq!(proof.proven, recorded.proven, "{name}");
        assert_eq!(proof.bytes, recorded.proof.len(), "{name}");
        assert_eq!(
            proof.parts.iter().map(|p| p.bytes).sum::<usize>(),
            proof.bytes,
            "{name}"
        );
        let step = page.disputed_step.as_ref().unwrap();
        if step.before.status == "running" {
            assert_eq!(step.before.step, recorded.step, "{name}");
        }
        assert_eq!(
            step.before.hash, recorded.pre,
            "{name}: the machine at the step is the proof's pre-state"
        );
        assert_eq!(
            step.after.hash, recorded.proven,
            "{name}: one machine step gives the proven hash"
        );
        match &proof.instruction {
            Some(i) => {
                assert_eq!(i.opcode, recorded.opcode, "{name}");
                assert_eq!(proof.pre_state.pc, i.pc, "{name}");
                let at = step.before.instruction.as_ref().unwrap();
                assert_eq!((at.pc, &at.opcode), (i.pc, &i.opcode), "{name}");
                assert_eq!(proof.paths[0].tree, "code", "{name}");
                if v.module.wasm.is_none() {
                    let f = i.function.as_ref().unwrap();
                    assert!(
                        f.name.as_deref().is_some_and(|n| !n.is_empty()),
                        "{name}: {f:?}"
                    );
                }
            }
            None => assert_eq!(recorded.opcode, "halted", "{name}"),
        }
    }
    assert!(proofs >= 8, "{proofs}");
}
