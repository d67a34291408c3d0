/*
 * A stand-in for drivers/vfio/pci/nvgrace-gpu/main.c used by the project's own tests (properties/upstream/), so
 * that the build, the protocol program and the assertion channel are exercised without an upstream tree. It is
 * the project's code, not the driver: it registers a pci_driver with vfio_device_ops like the driver does, and a
 * write of two bytes or more at offset 0 breaks a rule of the mutex (unlocks it twice).
 */
#include <linux/vfio_pci_core.h>

struct fake_device {
	struct vfio_pci_core_device core_device;
	struct mutex lock;
};

static int fake_open(struct vfio_device *vdev)
{
	struct fake_device *fake = container_of(vdev, struct fake_device, core_device.vdev);
	mutex_init(&fake->lock);
	return vfio_pci_core_enable(&fake->core_device);
}

static ssize_t fake_read(struct vfio_device *vdev, char __user *buf, size_t count, loff_t *ppos)
{
	(void)vdev, (void)buf, (void)ppos;
	return count;
}

static ssize_t fake_write(struct vfio_device *vdev, const char __user *buf, size_t count, loff_t *ppos)
{
	struct fake_device *fake = container_of(vdev, struct fake_device, core_device.vdev);
	(void)buf;
	mutex_lock(&fake->lock);
	mutex_unlock(&fake->lock);
	if (count >= 2 && (*ppos & VFIO_PCI_OFFSET_MASK) == 0)
		mutex_unlock(&fake->lock);
	return count;
}

static const struct vfio_device_ops fake_ops = {
	.name = "gpumem-fake",
	.init = vfio_pci_core_init_dev,
	.release = vfio_pci_core_release_dev,
	.open_device = fake_open,
	.close_device = vfio_pci_core_close_device,
	.read = fake_read,
	.write = fake_write,
	.mmap = vfio_pci_core_mmap,
	.ioctl = vfio_pci_core_ioctl,
};

static int fake_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct fake_device *fake = vfio_alloc_device(fake_device, core_device.vdev, &pdev->dev, &fake_ops);
	(void)id;
	if (IS_ERR(fake))
		return PTR_ERR(fake);
	dev_set_drvdata(&pdev->dev, &fake->core_device);
	return vfio_pci_core_register_device(&fake->core_device);
}

static void fake_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core_device = dev_get_drvdata(&pdev->dev);
	vfio_pci_core_unregister_device(core_device);
	vfio_put_device(&core_device->vdev);
}

static const struct pci_device_id fake_table[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_VENDOR_ID_NVIDIA, 0x2342) },
	{}
};

static struct pci_driver fake_driver = {
	.name = "gpumem-fake",
	.id_table = fake_table,
	.probe = fake_probe,
	.remove = fake_remove,
};

#ifndef FAKE_WITHOUT_MODULE
module_pci_driver(fake_driver);
#endif
