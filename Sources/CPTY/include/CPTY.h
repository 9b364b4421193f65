#ifndef CPTY_H
#define CPTY_H

/// Opens a pseudo-terminal pair for tests; returns 0 and the two descriptors, or -1 with errno set.
int cpty_open(int *master, int *slave);

#endif
