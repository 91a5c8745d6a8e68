package dev.kiln.engine.api;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * An application with no Kiln setting at all, for {@link ZeroConfigurationTest}: its ActorSystem
 * is {@code ActorSystem.create(behavior, "myapp")} (so {@code ConfigFactory.load()} of its classpath)
 * and it asks Kiln for the system's instance.
 *
 * <pre>
 * AppMain put ID TITLE    stores {_id: ID, title: TITLE} in database "notes", prints "PUT seq"
 * AppMain get ID          prints "GOT title"
 * </pre>
 */
public final class AppMain {
  private AppMain() {}

  public static void main(String[] args) throws Exception {
    org.slf4j.LoggerFactory.getILoggerFactory();
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "myapp");
    try {
      Database notes = Kiln.get(system).open("notes");
      if (args[0].equals("put")) {
        ObjectNode doc = JsonNodeFactory.instance.objectNode().put("_id", args[1]).put("title", args[2]);
        System.out.println("PUT " + notes.put(doc).toCompletableFuture().get(30, TimeUnit.SECONDS).seq());
      } else {
        System.out.println("GOT " + notes.get(args[1]).toCompletableFuture().get(30, TimeUnit.SECONDS).get("title").asText());
      }
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
