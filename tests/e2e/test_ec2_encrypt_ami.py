"""Seed scenario 2: encrypt an instance by AMI copy. create-image of a running
instance -> copy-image --encrypted --kms-key-id <CMK> -> run-instances from the
copy -> move the Elastic IP from the old instance to the new one -> swap them
behind a classic load balancer. Every volume of the new instance is encrypted
with the CMK."""
from ec2_support import ZONE, cli_ok, instance, make_ami, run_instance, volumes_of, wait


def test_encrypt_an_instance_by_ami_copy(ec2_server):
    kura = ec2_server
    ec2 = kura.boto3("ec2")
    elb = kura.boto3("elb")
    cmk = kura.boto3("kms").create_key(Description="ami key")["KeyMetadata"]["Arn"]
    # gp3 throughout: see test_images_of_gp2_volumes_launch for the gp2 case.
    base, _ = make_ami(ec2, "plain-base", volume_type="gp3")
    old = run_instance(ec2, base)
    data = ec2.create_volume(AvailabilityZone=ZONE, Size=1, VolumeType="gp3")["VolumeId"]
    wait(ec2, "volume_available", VolumeIds=[data])
    ec2.attach_volume(VolumeId=data, InstanceId=old, Device="/dev/sdf")
    wait(ec2, "volume_in_use", VolumeIds=[data])

    # The old instance has the Elastic IP and sits behind the load balancer.
    eip = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=old)
    assert instance(ec2, old)["PublicIpAddress"] == eip["PublicIp"]
    dns = elb.create_load_balancer(LoadBalancerName="web", AvailabilityZones=[ZONE],
                                   Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80,
                                               "InstanceProtocol": "HTTP", "InstancePort": 80}])["DNSName"]
    assert dns.startswith("web-")
    elb.register_instances_with_load_balancer(LoadBalancerName="web", Instances=[{"InstanceId": old}])

    # AMI of the instance, then an encrypted copy (the CLI).
    image = cli_ok(kura, "ec2", "create-image", "--instance-id", old, "--name", "app-v1", "--no-reboot")["ImageId"]
    wait(ec2, "image_available", ImageIds=[image])
    copy = cli_ok(kura, "ec2", "copy-image", "--source-image-id", image, "--source-region", "us-east-1",
                  "--name", "app-v1-encrypted", "--encrypted", "--kms-key-id", cmk)["ImageId"]
    wait(ec2, "image_available", ImageIds=[copy])
    cli_ok(kura, "ec2", "wait", "image-available", "--image-ids", copy)
    described = ec2.describe_images(ImageIds=[copy])["Images"][0]
    assert described["State"] == "available" and described["Name"] == "app-v1-encrypted"
    assert len(described["BlockDeviceMappings"]) == 2
    for mapping in described["BlockDeviceMappings"]:
        assert mapping["Ebs"]["Encrypted"] is True, mapping
        snapshot = ec2.describe_snapshots(SnapshotIds=[mapping["Ebs"]["SnapshotId"]])["Snapshots"][0]
        assert snapshot["Encrypted"] is True and snapshot["KmsKeyId"] == cmk

    new = run_instance(ec2, copy)
    volumes = volumes_of(ec2, new)
    assert len(volumes) == 2
    for v in volumes:
        assert v["Encrypted"] is True and v["KmsKeyId"] == cmk, v

    # Move the Elastic IP and swap the instances behind the load balancer.
    ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=new, AllowReassociation=True)
    assert instance(ec2, new)["PublicIpAddress"] == eip["PublicIp"]
    assert "PublicIpAddress" not in instance(ec2, old)
    address = ec2.describe_addresses(AllocationIds=[eip["AllocationId"]])["Addresses"][0]
    assert address["InstanceId"] == new
    registered = elb.register_instances_with_load_balancer(LoadBalancerName="web", Instances=[{"InstanceId": new}])
    assert {i["InstanceId"] for i in registered["Instances"]} == {old, new}
    remaining = elb.deregister_instances_from_load_balancer(LoadBalancerName="web", Instances=[{"InstanceId": old}])
    assert remaining["Instances"] == [{"InstanceId": new}]
    lb = elb.describe_load_balancers(LoadBalancerNames=["web"])["LoadBalancerDescriptions"][0]
    assert lb["Instances"] == [{"InstanceId": new}] and lb["DNSName"] == dns
    code, out, err = kura.aws("elb", "describe-load-balancers", "--load-balancer-names", "web")
    assert code == 0, err
    assert out["LoadBalancerDescriptions"][0]["Instances"] == [{"InstanceId": new}]

    ec2.terminate_instances(InstanceIds=[old])
    wait(ec2, "instance_terminated", InstanceIds=[old])
    cli_ok(kura, "ec2", "wait", "instance-terminated", "--instance-ids", old)


def test_images_of_gp2_volumes_launch(ec2_server):
    """CreateImage of an instance with gp2 volumes (the default type), then a launch from the image."""
    ec2 = ec2_server.boto3("ec2")
    base, _ = make_ami(ec2, "gp2-base")
    first = run_instance(ec2, base)
    image = ec2.create_image(InstanceId=first, Name="gp2-app", NoReboot=True)["ImageId"]
    wait(ec2, "image_available", ImageIds=[image])
    second = run_instance(ec2, image)
    assert instance(ec2, second)["State"]["Name"] == "running"
