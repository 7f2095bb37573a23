#ifndef RUNU_EVENT_H
#define RUNU_EVENT_H

/* Append {"time", "id", "event"} to the events log open at `log`: 0, or -1. */
int append_event(int log, const char *id, const char *event);

#endif
