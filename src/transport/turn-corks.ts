/** A socket corked for the rest of an event-loop turn. */
export interface TurnCorked {
  /** Uncorks it: the turn is over. */
  endTurn(): void;
}

/**
 * The sockets corked during this event-loop turn, uncorked together at its end
 * by one `nextTick`. A publish to 5,000 connections then queues one tick, not
 * one per socket: the tick objects were garbage the collector paid for on
 * every burst.
 */
export class TurnCorks {
  private corked: TurnCorked[] = [];
  private readonly endTurn = (): void => {
    // A fresh list first: a socket written to while the others uncork starts the next turn's.
    const ending = this.corked;
    this.corked = [];
    for (let i = 0; i < ending.length; i++) ending[i]!.endTurn();
  };

  /** Has `socket` (just corked) uncorked at the end of this turn. */
  add(socket: TurnCorked): void {
    if (this.corked.push(socket) === 1) process.nextTick(this.endTurn);
  }
}
