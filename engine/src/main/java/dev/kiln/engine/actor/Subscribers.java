package dev.kiln.engine.actor;

import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.ChangeBatch;
import java.util.LinkedHashSet;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The DatabaseActor's change-feed subscribers: each gets every committed batch after it
 * subscribed, in commit order, until it unsubscribes or stops (watched). Used on the actor's thread only.
 */
final class Subscribers {
  private final DatabaseContext db;
  private final Set<ActorRef<ChangeBatch>> subscribers = new LinkedHashSet<>();

  Subscribers(DatabaseContext db) {
    this.db = db;
  }

  void subscribe(ActorRef<ChangeBatch> s) {
    if (subscribers.add(s)) {
      db.actor().watchWith(s, new Internal.SubscriberGone(s));
    }
  }

  void unsubscribe(ActorRef<ChangeBatch> s) {
    if (subscribers.remove(s)) {
      db.actor().unwatch(s);
    }
  }

  void gone(ActorRef<ChangeBatch> s) {
    subscribers.remove(s);
  }

  /**
   * Starts a {@link DatabaseProtocol.Follow} feed as a child: it stops with the database, and its
   * reads are ordinary requests, bounded and refused like any other.
   */
  void follow(DatabaseProtocol.Follow f) {
    db.actor().spawnAnonymous(ChangeFeed.create(db.actor().getSelf(), f, db.settings().readTimeout().multipliedBy(2)));
  }

  void publish(ChangeBatch batch) {
    for (ActorRef<ChangeBatch> s : subscribers) {
      s.tell(batch);
    }
  }
}
