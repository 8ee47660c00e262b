/* procthread.h - run work as threads or as processes through one API. */
#ifndef PROCTHREAD_H
#define PROCTHREAD_H

#include <procthread/version.h>
#include <procthread/common.h>
#include <procthread/error.h>
#include <procthread/unit.h>
#include <procthread/sandbox.h>
#include <procthread/region.h>
#include <procthread/chan.h>
#include <procthread/forkserver.h>
#include <procthread/supervisor.h>
#include <procthread/pool.h>

#endif /* PROCTHREAD_H */
