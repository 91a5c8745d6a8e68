package dev.kiln.engine.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.car.FileCarStore;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The promise "acknowledged = fsynced" holds on the shipped defaults: {@code kiln.car.fsync} is on
 * unless the application turns it off, and a database opened through the facade gets a CAR store
 * that fsyncs. (How a fsyncing store orders its writes: FileCarStoreTest and DurabilityOrderTest.)
 */
class ShippedDefaultsFsyncTest {
  @TempDir Path dir;

  @Test
  void theDefaultsFsyncAndTheSettingReachesTheStoreOfEveryOpenedDatabase() {
    assertThat(ConfigFactory.defaultReference().getBoolean("kiln.car.fsync")).as("kiln.car.fsync in the shipped reference.conf").isTrue();

    AtomicReference<CarStore> opened = new AtomicReference<>();
    try (Kiln kiln = KilnTestSupport.start(dir)) { // the shipped defaults, only the data directory set
      assertThat(kiln.defaults().fsync()).isTrue();
      kiln.open("notes", kiln.defaults(), store -> {
        opened.set(store);
        return store;
      });
    }
    assertThat(opened.get()).isInstanceOf(FileCarStore.class);
    assertThat(((FileCarStore) opened.get()).fsync()).as("the store the database writes through fsyncs").isTrue();
  }
}
