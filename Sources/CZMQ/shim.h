// libzmq's C API (Debian: libzmq3-dev), for GridZMQ's thin owners. Swift imports <zmq.h> as is;
// the one thing it cannot use directly is the free callback's type, named here.
#ifndef CZMQ_SHIM_H
#define CZMQ_SHIM_H

#include <zmq.h>

/// What zmq_msg_init_data calls when libzmq is done with a zero-copy buffer (on its I/O thread).
typedef void (*CZMQ_free_fn)(void *data, void *hint);

#endif
