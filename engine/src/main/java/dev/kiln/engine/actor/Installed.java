package dev.kiln.engine.actor;

import dev.kiln.engine.actor.Events.State;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.commit.CommitRoots;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.protocol.Cid;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the DatabaseActor has installed besides its journal state: the open index of every CAR the
 * CarLog names (kept across a journal restart as a cache for the reload), the roots of the head
 * commit, and the snapshot of the current generation, built once per generation. Used on the
 * actor's thread only.
 */
final class Installed {
  private final Map<Cid, CarIndex> indexes = new HashMap<>();
  private CommitRoots roots = CommitRoots.empty();
  private Snapshot snapshot;

  CommitRoots roots() {
    return roots;
  }

  boolean has(Cid car) {
    return indexes.containsKey(car);
  }

  /** The indexes opened so far, for a reload not to read them again. */
  Map<Cid, CarIndex> known() {
    return Map.copyOf(indexes);
  }

  void loaded(Map<Cid, CarIndex> opened, CommitRoots headRoots) {
    indexes.clear();
    indexes.putAll(opened);
    roots = headRoots;
    snapshot = null;
  }

  /** A CAR written (by a commit or a compaction), before its event is persisted. */
  void written(CarIndex car) {
    indexes.put(car.car(), car);
  }

  void committed(CommitRoots newRoots) {
    roots = newRoots;
    snapshot = null;
  }

  /** {@code Compacted} is persisted: the replaced CARs the new CarLog no longer names, forgotten here. */
  List<Cid> compacted(List<Cid> replaced, State newState) {
    snapshot = null;
    Set<Cid> live = new HashSet<>(newState.carLog());
    List<Cid> dead = new ArrayList<>();
    for (Cid c : replaced) {
      if (!live.contains(c)) {
        dead.add(c);
        indexes.remove(c);
      }
    }
    return dead;
  }

  /** After a journal restart the generation may repeat with other contents: build the snapshot again. */
  void restarted() {
    snapshot = null;
  }

  Snapshot current(State state) {
    if (snapshot == null || snapshot.generation() != state.generation()) {
      List<CarIndex> log = new ArrayList<>(state.carLog().size());
      for (Cid car : state.carLog()) {
        CarIndex index = indexes.get(car);
        if (index == null) {
          throw new IllegalStateException("bug: no index for CAR " + car + " of the CarLog");
        }
        log.add(index);
      }
      snapshot = new Snapshot(state.generation(), log, state.head(), roots);
    }
    return snapshot;
  }
}
