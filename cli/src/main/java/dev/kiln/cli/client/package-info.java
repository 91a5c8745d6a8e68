/**
 * The command line as a client of a running {@code kiln serve}: finding the server through the
 * address file it leaves in the data directory, and calling its HTTP API with the JDK's own
 * {@link java.net.http.HttpClient}. Nothing here starts an ActorSystem or opens a journal, so a
 * command through a server costs a JVM start and one request.
 */
package dev.kiln.cli.client;
