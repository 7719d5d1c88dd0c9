/* hilbench — the OS calls of the i2c-dev: backend, replaceable by tests. */
#ifndef HB_I2C_DEV_H
#define HB_I2C_DEV_H

struct hb_i2cdev_api {
	int (*open)(const char *path, int flags);
	int (*ioctl)(int fd, unsigned long request, void *arg); /* -1 with errno on failure */
	int (*close)(int fd);
};

extern struct hb_i2cdev_api hb_i2cdev_api;
void hb_i2cdev_api_reset(void);

#endif
