package dev.kiln.engine.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.kiln.engine.config.KilnConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SmokeTest {
  @TempDir Path dir;

  @Test
  @org.junit.jupiter.api.Timeout(120)
  void putGetAllDocsChangesCompactAcrossReopen() throws Exception {
    var config = KilnConfig.withDefaults(ConfigFactory.empty()
        .withValue("kiln.data-dir", ConfigValueFactory.fromAnyRef(dir.toString())));
    try (Kiln kiln = Kiln.start(config)) {
      Database db = kiln.open("smoke");
      for (int i = 0; i < 5; i++) {
        ObjectNode doc = JsonNodeFactory.instance.objectNode().put("_id", "d" + i).put("n", i);
        db.put(doc).toCompletableFuture().get();
      }
      assertThat(db.get("d3").toCompletableFuture().get().get("n").asInt()).isEqualTo(3);
      db.delete("d1").toCompletableFuture().get();
      assertThat(db.allDocs().toCompletableFuture().get().rows()).hasSize(4);
      var c = db.compact().toCompletableFuture().get();
      assertThat(c.carLogAfter()).isEqualTo(1);
      db.close().toCompletableFuture().get();
      Database again = kiln.open("smoke");
      assertThat(again.allDocs().toCompletableFuture().get().rows()).hasSize(4);
      assertThat(again.changes(0, 0).toCompletableFuture().get().changes()).hasSize(5);
    }
  }
}
