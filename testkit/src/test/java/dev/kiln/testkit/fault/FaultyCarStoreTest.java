package dev.kiln.testkit.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.car.CarStoreException;
import dev.kiln.engine.car.FileCarStore;
import dev.kiln.engine.car.MemoryCarStore;
import dev.kiln.protocol.Cid;
import dev.kiln.testkit.fault.FaultyCarStore.Fault;
import dev.kiln.testkit.fault.FaultyCarStore.Injection;
import dev.kiln.testkit.fault.FaultyCarStore.Op;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FaultyCarStoreTest {
  @TempDir Path dir;

  /** A CAR of {@code n} distinct blocks, the first one its root; {@code tag} makes it unlike any other. */
  static List<Block> blocks(String tag, int n) {
    List<Block> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(Block.encode(Map.of("tag", tag, "i", (long) i)));
    }
    return out;
  }

  static CarIndex write(CarStore store, List<Block> blocks) {
    return store.write(List.of(blocks.get(0).cid()), blocks);
  }

  /** Runs {@code writes} writes, then {@code reads} block reads, and returns what was injected. */
  static List<Injection> run(FaultyCarStore store, int writes, int reads) {
    for (int i = 0; i < writes; i++) {
      try {
        write(store, blocks("w" + i, 3));
      } catch (InjectedFaultException expected) {
        // which writes fail is what the caller looks at
      }
    }
    List<Block> b = blocks("r", 2);
    CarIndex car = write(store.inner(), b);
    Cid target = b.get(1).cid();
    for (int i = 0; i < reads; i++) {
      try {
        store.read(car.car(), target, car.find(target));
      } catch (InjectedFaultException expected) {
        // as above
      }
    }
    return store.injections();
  }

  static FaultyCarStore.Builder everyKind(CarStore inner, long seed) {
    return FaultyCarStore.builder(inner).seed(seed)
        .rate(Fault.WRITE_FAILURE, 0.1).rate(Fault.PARTIAL_WRITE, 0.1)
        .rate(Fault.DISK_FULL, 0.1).rate(Fault.FSYNC_FAILURE, 0.1)
        .rate(Fault.READ_FAILURE, 0.3).slowness(0.05, Duration.ofMillis(1));
  }

  @Test
  void theSameSeedInjectsTheSameFaultsIntoTheSameCalls() {
    List<Injection> first = run(everyKind(new MemoryCarStore(), 42).build(), 60, 60);
    List<Injection> again = run(everyKind(new MemoryCarStore(), 42).build(), 60, 60);
    List<Injection> other = run(everyKind(new MemoryCarStore(), 43).build(), 60, 60);

    assertThat(first).isEqualTo(again);
    assertThat(first).isNotEqualTo(other);
    assertThat(first).extracting(Injection::fault)
        .contains(Fault.WRITE_FAILURE, Fault.PARTIAL_WRITE, Fault.DISK_FULL, Fault.FSYNC_FAILURE,
            Fault.READ_FAILURE);
  }

  @Test
  void countersAgreeWithTheFaultsSeen() {
    FaultyCarStore store = everyKind(new MemoryCarStore(), 7).build();
    List<Injection> seen = run(store, 80, 80);

    for (Fault f : Fault.values()) {
      assertThat(store.injected(f)).as("%s", f).isEqualTo(seen.stream().filter(i -> i.fault() == f).count());
    }
    assertThat(store.injectedTotal()).isEqualTo(seen.size());
    assertThat(store.calls(Op.WRITE)).isEqualTo(80);
    assertThat(store.calls(Op.READ)).isEqualTo(80);
  }

  @Test
  void eachWriteFaultSurfacesAsAnInjectedCarStoreExceptionAndLeavesNothingInAMemoryStore() {
    eachWriteFaultLeavesNothing(MemoryCarStore::new);
  }

  @Test
  void eachWriteFaultSurfacesAsAnInjectedCarStoreExceptionAndLeavesNothingInAFileStore() {
    eachWriteFaultLeavesNothing(() -> new FileCarStore(dir.resolve("cars-" + System.nanoTime()), false));
  }

  private void eachWriteFaultLeavesNothing(Supplier<CarStore> stores) {
    for (Fault fault : List.of(Fault.WRITE_FAILURE, Fault.PARTIAL_WRITE, Fault.DISK_FULL, Fault.FSYNC_FAILURE)) {
      CarStore inner = stores.get();
      CarIndex kept = write(inner, blocks("kept", 4));
      FaultyCarStore store = FaultyCarStore.builder(inner).seed(1).failWrite(1, fault).build();
      List<Block> lost = blocks("lost", 6);

      InjectedFaultException e = catchThrowableOfType(() -> write(store, lost), InjectedFaultException.class);

      assertThat(e).as("%s", fault).isNotNull().isInstanceOf(CarStoreException.class);
      assertThat(e.fault()).isEqualTo(fault);
      assertThat(e.getMessage()).contains(fault.name());
      assertThat(inner.list()).as("after %s", fault).containsExactly(kept.car());
      assertThat(store.injected(fault)).isEqualTo(1);
      // the second write is not in the script: it goes through
      CarIndex written = write(store, lost);
      assertThat(inner.list()).containsExactlyInAnyOrder(kept.car(), written.car());
      inner.close();
    }
  }

  @Test
  void diskFullNamesTheCauseARealDiskGives() {
    FaultyCarStore store = FaultyCarStore.builder(new MemoryCarStore()).failWrite(1, Fault.DISK_FULL).build();

    assertThatThrownBy(() -> write(store, blocks("x", 1)))
        .isInstanceOf(CarStoreException.class)
        .hasRootCauseMessage("No space left on device");
  }

  @Test
  void anFsyncFailureKeepsACarThatWasThereBefore() {
    MemoryCarStore inner = new MemoryCarStore();
    List<Block> same = blocks("same", 3);
    CarIndex before = write(inner, same);
    FaultyCarStore store = FaultyCarStore.builder(inner).failWrite(1, Fault.FSYNC_FAILURE).build();

    assertThatThrownBy(() -> write(store, same)).isInstanceOf(InjectedFaultException.class);
    assertThat(inner.list()).containsExactly(before.car());
  }

  @Test
  void aReadFailureIsACarStoreExceptionAndTheBlockIsStillThereAfterwards() {
    MemoryCarStore inner = new MemoryCarStore();
    List<Block> b = blocks("r", 3);
    CarIndex car = write(inner, b);
    FaultyCarStore store = FaultyCarStore.builder(inner).failRead(2).build();
    Cid target = b.get(2).cid();

    assertThat(store.read(car.car(), target, car.find(target))).isEqualTo(b.get(2));
    InjectedFaultException e = catchThrowableOfType(
        () -> store.read(car.car(), target, car.find(target)), InjectedFaultException.class);
    assertThat(e).isInstanceOf(CarStoreException.class);
    assertThat(e.fault()).isEqualTo(Fault.READ_FAILURE);
    assertThat(e.getMessage()).contains(target.toString());
    assertThat(store.read(car.car(), target, car.find(target))).isEqualTo(b.get(2));
  }

  @Test
  void readsFailOnlyInsideTheirTimeWindow() {
    MemoryCarStore inner = new MemoryCarStore();
    List<Block> b = blocks("t", 1);
    CarIndex car = write(inner, b);
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    MutableClock clock = new MutableClock(t0);
    FaultyCarStore store = FaultyCarStore.builder(inner).clock(clock)
        .failReadsBetween(t0.plusSeconds(10), t0.plusSeconds(20)).build();
    Cid cid = b.get(0).cid();

    assertThat(store.read(car.car(), cid, car.find(cid))).isEqualTo(b.get(0));
    clock.now = t0.plusSeconds(10);
    assertThatThrownBy(() -> store.read(car.car(), cid, car.find(cid))).isInstanceOf(InjectedFaultException.class);
    clock.now = t0.plusSeconds(19);
    assertThatThrownBy(() -> store.read(car.car(), cid, car.find(cid))).isInstanceOf(InjectedFaultException.class);
    clock.now = t0.plusSeconds(20);
    assertThat(store.read(car.car(), cid, car.find(cid))).isEqualTo(b.get(0));
  }

  @Test
  void healStopsEveryFaultAndRateStartsThemAgain() {
    FaultyCarStore store = FaultyCarStore.builder(new MemoryCarStore())
        .rate(Fault.DISK_FULL, 1.0).failWrites(1, 100, Fault.WRITE_FAILURE).build();
    assertThatThrownBy(() -> write(store, blocks("a", 1))).isInstanceOf(InjectedFaultException.class);

    store.heal();
    for (int i = 0; i < 20; i++) {
      write(store, blocks("h" + i, 2));
    }
    assertThat(store.inner().list()).hasSize(20);

    store.rate(Fault.PARTIAL_WRITE, 1.0);
    assertThatThrownBy(() -> write(store, blocks("b", 3)))
        .isInstanceOfSatisfying(InjectedFaultException.class, e -> assertThat(e.fault()).isEqualTo(Fault.PARTIAL_WRITE));
    assertThat(store.inner().list()).hasSize(20);
  }

  @Test
  void probabilitiesThatCannotHoldAreRefused() {
    FaultyCarStore.Builder b = FaultyCarStore.builder(new MemoryCarStore()).rate(Fault.WRITE_FAILURE, 0.7);
    assertThatThrownBy(() -> b.rate(Fault.DISK_FULL, 0.5)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("more than 1");
    assertThatThrownBy(() -> b.rate(Fault.READ_FAILURE, 1.5)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.failWrite(1, Fault.READ_FAILURE)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aRateOfAboutThirtyPercentFailsAboutThirtyPercentOfWrites() {
    FaultyCarStore store = FaultyCarStore.builder(new MemoryCarStore()).seed(99)
        .rate(Fault.WRITE_FAILURE, 0.3).build();
    int failed = 0;
    for (int i = 0; i < 400; i++) {
      try {
        write(store, blocks("p" + i, 1));
      } catch (InjectedFaultException e) {
        failed++;
      }
    }
    assertThat(failed).isBetween(80, 160);
    assertThat(store.inner().list()).hasSize(400 - failed);
  }

  static final class MutableClock extends Clock {
    volatile Instant now;

    MutableClock(Instant now) {
      this.now = now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
