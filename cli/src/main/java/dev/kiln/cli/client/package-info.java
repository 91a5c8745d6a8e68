/**
 * The command line as a client of a running {@code kiln serve}: finding the server through the
 * address file it leaves in the data directory, and calling its HTTP API with a small HTTP/1.1
 * client on a socket ({@code PlainHttp}; the JDK's clients cost a short-lived JVM more than its
 * request). Nothing here starts an ActorSystem or opens a journal, so a command through a server
 * costs a JVM start and one request.
 */
package dev.kiln.cli.client;
