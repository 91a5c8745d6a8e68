package dev.kiln.engine.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.engine.index.IndexDefinition;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/** Each with-method changes its own settings and keeps every other one, and bad values are refused. */
class DatabaseSettingsTest {
  private final DatabaseSettings base = new DatabaseSettings(Path.of("data"), true, 8, Duration.ofSeconds(30),
      1 << 20, 1000, 100, 500, Duration.ofSeconds(10), Duration.ofMinutes(5));

  @Test
  void eachWithMethodChangesOnlyItsSettings() throws Exception {
    assertChanged(base.withAutoCompact(3), "autoCompact");
    assertChanged(base.withDataDir(Path.of("elsewhere")), "dataDir");
    assertChanged(base.withIndex(IndexDefinition.field("n")), "indexes");
    assertChanged(base.withCompactionMaxWait(Duration.ofSeconds(1)), "compactionMaxWait");
    assertChanged(base.withReadTimeout(Duration.ofSeconds(2)), "readTimeout");
    assertChanged(base.withRequestBounds(7, 9), "maxPendingReads", "maxWaitingRequests");
    assertChanged(base.withIndexCatchUpBatch(17), "indexCatchUpBatch");
    assertChanged(base.withMaxSpaceAmplification(3.5), "maxSpaceAmplification");
    assertChanged(base.withRequestWindow(5), "requestWindow");
    assertThat(base.withRequestBounds(7, 9).maxPendingReads()).isEqualTo(7);
    assertThat(base.withRequestBounds(7, 9).maxWaitingRequests()).isEqualTo(9);
    assertThat(base.withIndex(IndexDefinition.field("n")).indexes().get("n")).isNotNull();
  }

  @Test
  void badValuesAreRefused() {
    assertThatThrownBy(() -> base.withAutoCompact(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> base.withRequestBounds(0, 5)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> base.withIndexCatchUpBatch(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> base.withMaxSpaceAmplification(0.5)).isInstanceOf(IllegalArgumentException.class);
  }

  private void assertChanged(DatabaseSettings changed, String... names) throws Exception {
    List<String> differ = new ArrayList<>();
    for (RecordComponent c : DatabaseSettings.class.getRecordComponents()) {
      if (!Objects.equals(c.getAccessor().invoke(base), c.getAccessor().invoke(changed))) {
        differ.add(c.getName());
      }
    }
    assertThat(differ).as("settings that differ").containsExactly(names);
  }
}
