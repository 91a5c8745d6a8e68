package dev.kiln.engine.api;

import static dev.kiln.engine.api.KilnTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Defect 2: {@code put}/{@code putAll} take what the document is when they are called. Before the
 * fix the facade kept the caller's node and encoded it later on the commit thread, so a caller
 * reusing one node got every write acknowledged and only the last content stored.
 */
class Defect02CallerOwnsItsDocumentTest {
  @TempDir Path dir;
  Kiln kiln;

  @BeforeEach
  void start() {
    kiln = KilnTestSupport.start(dir);
  }

  @AfterEach
  void stop() {
    kiln.close();
  }

  @Test
  void aNodeReusedWithoutWaitingStoresEveryVersion() {
    Database db = kiln.open("reuse");
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    List<CompletionStage<WriteResult>> acks = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      node.put("_id", "d" + i).put("n", i);
      acks.add(db.put(node));
    }
    acks.forEach(KilnTestSupport::await);
    for (int i = 0; i < 20; i++) {
      ObjectNode stored = await(db.get("d" + i));
      assertThat(stored).as("d%d", i).isNotNull();
      assertThat(stored.get("n").asInt()).isEqualTo(i);
    }
  }

  @Test
  void putAllTakesTheDocumentsAsTheyWereWhenCalled() {
    Database db = kiln.open("reuse-all");
    ObjectNode a = JsonNodeFactory.instance.objectNode().put("_id", "a").put("n", 1);
    List<ObjectNode> docs = new ArrayList<>(List.of(a));
    CompletionStage<?> ack = db.putAll(docs);
    a.put("_id", "changed").put("n", 2);
    docs.add(JsonNodeFactory.instance.objectNode().put("_id", "added"));
    await(ack);
    assertThat(await(db.get("a")).get("n").asInt()).isEqualTo(1);
    assertThat(await(db.allDocs()).rows()).hasSize(1);
  }
}
